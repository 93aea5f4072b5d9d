//! Admin request bodies: one JSON object, read strictly at every depth.
//!
//! serde's derived structs also accept a JSON array as positional fields, and
//! `serde_json::Map` keeps the last of two equal keys. Neither is what the API documents, and
//! either lets a body mean something its author did not write. So the body is first parsed
//! into a `Value` that refuses duplicate keys, then read into `T` through [`Node`], a
//! deserializer that answers a struct only from an object and wraps every nested value the
//! same way.

use std::fmt;

use actix_web::web;
use actix_web::{FromRequest, HttpRequest};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};

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

/// Parses any JSON value, refusing an object that names a key twice.
struct UniqueKeys {
    /// Where the value sits, for the message: `attributes`, `schema[0]`.
    path: String,
}

impl UniqueKeys {
    fn child(&self, step: impl fmt::Display, index: bool) -> Self {
        let path = match (self.path.is_empty(), index) {
            (_, true) => format!("{}[{step}]", self.path),
            (true, false) => step.to_string(),
            (false, false) => format!("{}.{step}", self.path),
        };
        UniqueKeys { path }
    }
}

impl<'de> DeserializeSeed<'de> for UniqueKeys {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(items.len(), true))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let shown: String = key.chars().take(64).collect();
                return Err(de::Error::custom(if self.path.is_empty() {
                    format!("duplicate key `{shown}`")
                } else {
                    format!("duplicate key `{shown}` in `{}`", self.path)
                }));
            }
            let value = map.next_value_seed(self.child(&key, false))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A deserialization error with the path of the value it is about.
#[derive(Debug)]
pub struct PathError {
    path: Vec<String>,
    message: String,
}

impl PathError {
    fn at(mut self, step: String) -> Self {
        self.path.insert(0, step);
        self
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut path = String::new();
        for step in &self.path {
            if !step.starts_with('[') && !path.is_empty() {
                path.push('.');
            }
            path.push_str(step);
        }
        if path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{path}: {}", self.message)
        }
    }
}

impl std::error::Error for PathError {}

impl de::Error for PathError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        PathError {
            path: Vec::new(),
            message: msg.to_string(),
        }
    }
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Other("null"),
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, f) => Unexpected::Float(f.unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Other("an array"),
        Value::Object(_) => Unexpected::Map,
    }
}

/// One parsed value, read strictly: structs only from objects, and every nested value
/// through `Node` again.
struct Node(Value);

impl Node {
    /// JSON Schema calls `1e2` and `100.0` integers: hand an integral float to an integer
    /// field as the integer it is.
    fn integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        if let Value::Number(n) = &self.0
            && n.as_u64().is_none()
            && n.as_i64().is_none()
            && let Some(f) = n.as_f64()
            && f.fract() == 0.0
            // Beyond 2^53 a float no longer names one integer.
            && f.abs() <= 9_007_199_254_740_992.0
        {
            // Integral and within 2^53, so the conversion is exact.
            return if f < 0.0 {
                visitor.visit_i64(f as i64)
            } else {
                visitor.visit_u64(f as u64)
            };
        }
        self.deserialize_any_inner(visitor)
    }

    fn deserialize_any_inner<'de, V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, Some(f)) => visitor.visit_f64(f),
                _ => Err(de::Error::custom("unreadable number")),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(Items {
                items: items.into_iter(),
                index: 0,
            }),
            Value::Object(map) => visitor.visit_map(Fields {
                fields: map.into_iter(),
                pending: None,
            }),
        }
    }
}

impl<'de> de::Deserializer<'de> for Node {
    type Error = PathError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.deserialize_any_inner(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Object(_) => self.deserialize_any_inner(visitor),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a JSON object",
            )),
        }
    }

    // A map or list only from its own JSON type: serde_json's `Map` would also take `null`.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Object(_) => self.deserialize_any_inner(visitor),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a JSON object",
            )),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Array(_) => self.deserialize_any_inner(visitor),
            other => Err(de::Error::invalid_type(unexpected(&other), &"a JSON array")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathError> {
        // Unit variants only: an admin body never carries data inside an enum.
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(de::Error::invalid_type(unexpected(&other), &"a string")),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.integer(visitor)
    }

    forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct tuple
        tuple_struct identifier ignored_any
    }
}

struct Items {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Items {
    type Error = PathError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, PathError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(Node(item))
            .map(Some)
            .map_err(|e| e.at(format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Fields {
    fields: serde_json::map::IntoIter,
    pending: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for Fields {
    type Error = PathError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PathError> {
        let Some((key, value)) = self.fields.next() else {
            return Ok(None);
        };
        let read = seed.deserialize(Node(Value::String(key.clone())))?;
        self.pending = Some((key, value));
        Ok(Some(read))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, PathError> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| <PathError as de::Error>::custom("a value without its key"))?;
        let shown: String = key.chars().take(64).collect();
        seed.deserialize(Node(value)).map_err(|e| e.at(shown))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

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
