"""Local fakes of outside services, for tests that run real client libraries against them."""
