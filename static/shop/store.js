// Small progressive enhancements; every page works without this file.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.submit();
  const form = event.target.closest("form[data-reprice]");
  if (form && event.target.matches("input[type=radio], select[name=saved_address]")) reprice(form);
});

// The one-page checkout: a changed delivery choice or saved address posts the
// page's own "Update prices" in the background; the server re-checks and re-prices it
// all, and its answer replaces the page's checkout (the figures and the fingerprint).
let latest = 0; // only the answer to the last change is shown

async function reprice(form) {
  const data = new FormData(form);
  data.set("action", "update");
  const asked = ++latest;
  document.getElementById("one-page").setAttribute("aria-busy", "true");
  // form.action would be the button named "action": read the attribute.
  const response = await fetch(form.getAttribute("action"), {
    method: "POST",
    body: data,
    headers: { "X-Requested-With": "reprice" },
    credentials: "same-origin",
  });
  const elsewhere = response.headers.get("X-Location");
  if (elsewhere) return window.location.assign(elsewhere); // the order was placed meanwhile
  const html = await response.text();
  if (asked !== latest) return;
  const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("one-page");
  const box = document.getElementById("one-page");
  if (fresh) box.replaceWith(fresh);
  else box.removeAttribute("aria-busy");
}
