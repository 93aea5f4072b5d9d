//! The OAuth 2.0 / OpenID Connect endpoints under each issuer: discovery, JWKS, authorize,
//! token, userInfo, revocation and logout. Errors are RFC 6749 §5.2 JSON.

pub mod authorize;
pub mod discovery;
pub mod error;
pub mod token;
pub mod userinfo;
