//! Responses: `{"error": one line}` with a status, JSON bodies, and a body that keeps its
//! memory reservation (any guard, e.g. `admit::Reserved`) until the last byte has been handed to
//! the connection (or the connection is dropped).

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A response.
pub type Reply = Response;

/// A refused request: its status and one-line message.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

/// `{"error": message}` with `status`.
pub fn error(status: u16, message: &str) -> Refusal {
    Refusal {
        status,
        message: message.to_string(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string();
        json_bytes(self.status, body.into_bytes(), None)
    }
}

/// A JSON body with `status`; `held` (a guard) is dropped when the body has been sent.
pub fn json_bytes(status: u16, body: Vec<u8>, held: Option<Box<dyn Send>>) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = Held {
        data: Some(Bytes::from(body)),
        _held: held,
    };
    let mut r = (status, Body::new(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// One chunk of bytes and the reservation that covers it.
struct Held {
    data: Option<Bytes>,
    _held: Option<Box<dyn Send>>,
}

impl http_body::Body for Held {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}
