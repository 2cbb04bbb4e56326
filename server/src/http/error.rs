//! The one place an [`Error`] becomes an HTTP response: a status and a JSON
//! body `{"error": CODE, "message": TEXT}`. Server faults are logged and
//! answered without their details.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Error;

/// Seconds a refused client should wait before trying again.
const RETRY_AFTER_SECONDS: &str = "2";

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code to act on.
    pub error: &'static str,
    /// A message for people.
    pub message: String,
}

/// The status and stable code of an error: the one mapping from errors to
/// HTTP, shared by the JSON API and the dashboard's HTML pages.
pub(crate) fn status_of(error: &Error) -> (StatusCode, &'static str) {
    match error {
        Error::Protocol(_) => (StatusCode::BAD_REQUEST, "bad-sync-message"),
        Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request"),
        Error::Core(sync_core::Error::Validation(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
        Error::Core(sync_core::Error::NotFound { .. } | sync_core::Error::NoSuchRecord(_))
        | Error::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
        Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        Error::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate-limited"),
        Error::Busy | Error::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        Error::Database(_)
        | Error::Migrate(_)
        | Error::Core(_)
        | Error::Corrupt(_)
        | Error::Config(_)
        | Error::Render(_)
        | Error::Io { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// What people are told of an error: server faults are logged here and
/// described only as internal.
pub(crate) fn public_message(error: &Error, status: StatusCode) -> String {
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %error, "request failed");
        "internal error: see the server's log".to_owned()
    } else {
        error.to_string()
    }
}

/// The headers an error's status calls for, on JSON and HTML answers alike.
pub(crate) fn add_error_headers(status: StatusCode, headers: &mut HeaderMap) {
    match status {
        StatusCode::UNAUTHORIZED => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // Clients (the phones' sync loop included) wait this long.
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        _ => {}
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = status_of(&self);
        let message = public_message(&self, status);
        let mut response = (
            status,
            Json(ErrorBody {
                error: code,
                message,
            }),
        )
            .into_response();
        add_error_headers(status, response.headers_mut());
        response
    }
}
