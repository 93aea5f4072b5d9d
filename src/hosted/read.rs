//! What a hosted handler reads before it starts (its pool, the checked form, the pending
//! sign-in, the signed-in account), as one argument. A request that cannot give it is
//! answered with the page that says why, and the handler does not run.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest, HttpResponse};

use crate::context::Context;

/// What was read, or the page that answers instead.
pub(crate) type Reading<T> = Result<T, HttpResponse>;

/// Something a hosted handler reads from its request.
pub(crate) trait Read: Sized {
    /// What is read first and handed on: the body, the checked form, or nothing (`()`).
    type Before: FromRequest;

    async fn read(req: &HttpRequest, ctx: &Context, before: Self::Before) -> Reading<Self>;
}

/// A handler's argument that `Read` reads; it derefs to what was read.
pub(crate) struct Hosted<T>(pub(crate) T);

impl<T> Deref for Hosted<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> FromRequest for Hosted<T>
where
    T: Read + 'static,
    <T::Before as FromRequest>::Future: 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let before = T::Before::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let before = before.await.map_err(Into::into)?;
            let ctx = Data::<Context>::extract(&req).await?;
            match T::read(&req, &ctx, before).await {
                Ok(read) => Ok(Hosted(read)),
                // actix sends the page as it is.
                Err(page) => Err(InternalError::from_response("answered with a page", page).into()),
            }
        })
    }
}
