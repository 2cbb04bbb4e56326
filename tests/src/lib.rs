//! Helpers for the end-to-end tests in `tests/tests`: simulated phones and
//! a hub they sync with.
