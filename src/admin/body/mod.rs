//! Admin request bodies: one JSON object, read strictly at every depth.
//!
//! serde's derived structs also accept a JSON array as positional fields, and
//! `serde_json::Map` keeps the last of two equal keys. Neither is what the API documents, and
//! either lets a body mean something its author did not write. So the body is first parsed
//! into a `Value` that refuses duplicate keys, then read into `T` through [`Node`], a
//! deserializer that answers a struct only from an object and wraps every nested value the
//! same way.
//!
//! `unique_keys` is the first reading, `node` the second.

mod node;
mod unique_keys;

use actix_web::web;
use actix_web::{FromRequest, HttpRequest};
use serde::de::{DeserializeOwned, DeserializeSeed};

use crate::admin::body::node::Node;
pub use crate::admin::body::node::PathError;
use crate::admin::body::unique_keys::UniqueKeys;
use crate::admin::error::ApiError;

/// The largest admin request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body that must be an object, with no arrays standing for objects and no
/// duplicate keys at any depth.
pub struct Body<T>(pub T);

pub(crate) fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| {
            let essence = essence.trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false)
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let json = is_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::InvalidRequest(
                    "Content-Type must be application/json".into(),
                )
                .into());
            }
            let bytes = bytes.await.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    ApiError::PayloadTooLarge(MAX_BODY_BYTES)
                } else {
                    ApiError::InvalidRequest(format!("unreadable body: {e}"))
                }
            })?;
            Ok(Body(parse(&bytes).map_err(ApiError::InvalidRequest)?))
        })
    }
}

/// Reads `bytes` as one JSON object into `T`; the error names the problem and where it is.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value = UniqueKeys {
        path: String::new(),
    }
    .deserialize(&mut reader)
    .and_then(|v| reader.end().map(|()| v))
    .map_err(|e| format!("invalid JSON body: {e}"))?;
    if !value.is_object() {
        return Err("the body must be a JSON object".into());
    }
    T::deserialize(Node(value)).map_err(|e| format!("invalid JSON body: {e}"))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        from: Option<String>,
    }

    // Some fields are only there to be parsed.
    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: Option<String>,
        count: Option<u32>,
        level: Option<i64>,
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
        #[serde(default)]
        attributes: Map<String, Value>,
    }

    fn read(json: &str) -> Result<Outer, String> {
        parse::<Outer>(json.as_bytes())
    }

    #[test]
    fn objects_are_read_at_every_depth() {
        let ok = read(r#"{"name": "a", "inner": {"from": "x"}, "list": [{"from": "y"}]}"#)
            .expect("valid");
        assert_eq!(ok.inner.and_then(|i| i.from).as_deref(), Some("x"));
    }

    #[test]
    fn arrays_never_stand_for_objects() {
        for (json, needle) in [
            (r#"["a"]"#, "must be a JSON object"),
            (r#"{"inner": ["x"]}"#, "inner: invalid type: an array"),
            (r#"{"list": [["x"]]}"#, "list[0]: invalid type: an array"),
            (r#"{"inner": "x"}"#, "inner: invalid type: string"),
            (r#"{"attributes": null}"#, "attributes: invalid type: null"),
        ] {
            let err = read(json).expect_err(json);
            assert!(err.contains(needle), "{json}: {err}");
        }
    }

    #[test]
    fn duplicate_keys_are_refused_at_every_depth() {
        for (json, needle) in [
            (r#"{"name": "a", "name": "b"}"#, "duplicate key `name`"),
            (
                r#"{"attributes": {"email": "a@x.io", "email": "b@x.io"}}"#,
                "duplicate key `email` in `attributes`",
            ),
            (
                r#"{"list": [{"from": "a", "from": "b"}]}"#,
                "duplicate key `from` in `list[0]`",
            ),
        ] {
            let err = read(json).expect_err(json);
            assert!(err.contains(needle), "{json}: {err}");
        }
    }

    #[test]
    fn integral_floats_are_integers() {
        let ok = read(r#"{"count": 1e2, "level": -3.0}"#).expect("integral floats");
        assert_eq!((ok.count, ok.level), (Some(100), Some(-3)));
        for json in [
            r#"{"count": 1.5}"#,
            r#"{"count": -1}"#,
            r#"{"count": 1e10}"#,
            r#"{"level": 1e300}"#,
        ] {
            assert!(read(json).is_err(), "{json}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let err = read(r#"{"inner": {"from": 7}}"#).expect_err("wrong type");
        assert!(err.contains("inner.from: invalid type: integer"), "{err}");
        let err = read(r#"{"inner": {"to": 7}}"#).expect_err("unknown field");
        assert!(err.contains("inner: unknown field `to`"), "{err}");
    }
}
