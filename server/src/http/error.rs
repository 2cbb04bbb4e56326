//! The one place an [`Error`] becomes an HTTP response: a status and a JSON
//! body `{"error": CODE, "message": TEXT}`. Server faults are logged and
//! answered without their details.

use axum::Json;
use axum::body::Body;
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

/// The stable code of an error answered by a layer or an extractor rather
/// than by [`Error`] (a body over the limit, a request that took too long,
/// malformed JSON), by its status.
fn code_of_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "rate-limited",
        StatusCode::SERVICE_UNAVAILABLE => "busy",
        _ if status.is_server_error() => "internal",
        _ => "error",
    }
}

/// Most bytes of a layer's or an extractor's plain-text error kept as the
/// message (they are a line or two).
const MAX_PLAIN_ERROR: usize = 4096;

/// Makes every error the API answers the documented JSON error, whoever
/// answered it: axum's extractors (malformed JSON, a wrong content type),
/// the body limit (413), the request timeout and an unknown route answer
/// plain text or nothing, and are rewritten here with a stable code. Pages
/// (HTML) and JSON errors pass as they are.
pub(crate) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_PLAIN_ERROR)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body is larger than the server takes ({text})")
        }
        StatusCode::SERVICE_UNAVAILABLE if text.is_empty() => {
            "the request took too long: try again shortly".to_owned()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_lowercase(),
        _ => text,
    };
    let body = serde_json::to_vec(&ErrorBody {
        error: code_of_status(status),
        message,
    })
    .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    add_error_headers(status, &mut parts.headers);
    Response::from_parts(parts, Body::from(body))
}
