//! e-commissariat patch: a process-wide hook that gives the responses the HTTP/1 dispatcher
//! writes on its own (a request head that is too large: 431, a malformed head: 400, a head
//! not received in time: 408, an internal payload fault: 500) a body and headers of the
//! application's choosing. Upstream writes them with an empty body and no headers, below
//! any middleware, so the application cannot shape them otherwise.

use std::sync::OnceLock;

use bytes::Bytes;
use http::StatusCode;

use crate::header::HeaderMap;

/// What the application answers for a status the dispatcher chose: extra headers and a
/// body (the dispatcher sets `Content-Length` from it).
pub type ParserResponder = fn(StatusCode) -> (HeaderMap, Bytes);

static RESPONDER: OnceLock<ParserResponder> = OnceLock::new();

/// Installs the responder for the whole process; returns `false` if one was installed
/// already (the first one stays).
pub fn set_parser_responder(responder: ParserResponder) -> bool {
    RESPONDER.set(responder).is_ok()
}

/// The response head and body for a dispatcher-made error response.
pub(crate) fn shape(res: crate::Response<()>) -> (crate::Response<()>, crate::body::BoxBody) {
    let (res, body) = shape_bytes(res);
    (res, crate::body::BoxBody::new(body))
}

/// The same, with the body as bytes, for a response written straight into the write
/// buffer (the head timer's 408, after which the connection shuts down at once).
pub(crate) fn shape_bytes(mut res: crate::Response<()>) -> (crate::Response<()>, Bytes) {
    match RESPONDER.get() {
        Some(responder) => {
            let (headers, body) = responder(res.status());
            for (name, value) in headers.iter() {
                res.headers_mut().insert(name.clone(), value.clone());
            }
            (res, body)
        }
        None => (res, Bytes::new()),
    }
}
