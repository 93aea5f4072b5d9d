//! What the self-service pages share: the pending authorization request a page carries
//! along, the links that keep it, and what the confirm and reset pages are filled in with,
//! from their query or their form post.

use actix_web::HttpRequest;

use crate::context::Context;
use crate::hosted::csrf;
use crate::hosted::forms::{PostedForm, path_pool, request_in_query};
use crate::hosted::read::{Hosted, Read, Reading};
use crate::pools::Pool;
use crate::pools::oauth_client::find_oauth_client;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{self, Params, with_query};

/// One message for a wrong, expired, replaced or dead code: the fifth wrong try must not
/// tell a stranger that the account exists.
pub(super) const WRONG_CODE: &str = "The code is incorrect or has expired. After 5 wrong tries a code stops working: send yourself a new one.";
pub(super) const DEAD_CODE: &str = WRONG_CODE;

/// The pending authorization request, if the person came from an application and it is
/// still live. These pages work without one too. An application that does not offer the
/// pool's own sign-in (`COGNITO`) gets no sign-in from them: its request is left out.
pub(super) async fn pending(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    id: Option<&str>,
) -> Option<AuthRequestRow> {
    let browser = csrf::browser_id(req, ctx);
    let found =
        match authorize::pending(ctx, &pool.id, id.unwrap_or_default(), browser.as_deref()).await {
            Ok(found) => found?,
            Err(err) => {
                tracing::warn!(error = %err, "pending request lookup failed");
                return None;
            }
        };
    match crate::pools::oauth_client::find_oauth_client(ctx, &pool.id, &found.client_id).await {
        Ok(Some(client)) if client.config.offers_cognito() => Some(found),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(error = %err, "client lookup failed");
            None
        }
    }
}

/// What the confirm and reset pages are filled in with.
pub(super) struct Filled {
    pub(super) pool: Pool,
    /// The live pending request's reference, or empty.
    pub(super) request: String,
    pub(super) username: String,
}

/// What the confirm and reset pages say above their form: that a code was sent, or why the
/// last try failed.
#[derive(Clone, Copy)]
pub(super) enum Note<'a> {
    Nothing,
    Sent(&'a str),
    Failed(&'a str),
}

impl<'a> Note<'a> {
    pub(super) fn notice(self) -> Option<&'a str> {
        match self {
            Note::Sent(text) => Some(text),
            _ => None,
        }
    }

    pub(super) fn error(self) -> Option<&'a str> {
        match self {
            Note::Failed(text) => Some(text),
            _ => None,
        }
    }
}

/// What the self-service pages read from their query string.
pub(super) struct PageQuery {
    pub(super) filled: Filled,
    /// Arrived right after a code was (maybe) sent.
    sent: bool,
}

impl PageQuery {
    /// `sent` when the page arrived right after a code was (maybe) sent.
    pub(super) fn note(&self, sent: &'static str) -> Note<'static> {
        if self.sent {
            Note::Sent(sent)
        } else {
            Note::Nothing
        }
    }
}

impl Read for PageQuery {
    type Before = ();

    async fn read(req: &HttpRequest, ctx: &Context, (): ()) -> Reading<Self> {
        let pool = path_pool(req, ctx).await?;
        let query = Params::parse(req.query_string().as_bytes()).ok();
        let get = |name: &str| {
            query
                .as_ref()
                .and_then(|q| q.get(name))
                .unwrap_or_default()
                .to_string()
        };
        let request = pending(req, ctx, &pool, request_in_query(req).as_deref())
            .await
            .map(|p| p.id)
            .unwrap_or_default();
        Ok(PageQuery {
            filled: Filled {
                pool,
                request,
                username: get("username"),
            },
            sent: get("sent") == "1",
        })
    }
}

/// A self-service form post: the checked form, the pending request it carries if still
/// live, and the username typed.
pub(super) struct SelfServicePost {
    pub(super) filled: Filled,
    pub(super) params: Params,
    pub(super) pending: Option<AuthRequestRow>,
}

impl Read for SelfServicePost {
    type Before = Hosted<PostedForm>;

    async fn read(req: &HttpRequest, ctx: &Context, form: Self::Before) -> Reading<Self> {
        let Hosted(PostedForm { pool, params }) = form;
        let pending = pending(req, ctx, &pool, params.get("request")).await;
        let request = pending.as_ref().map(|p| p.id.clone()).unwrap_or_default();
        let username = params
            .get("username")
            .unwrap_or_default()
            .trim()
            .to_string();
        Ok(SelfServicePost {
            filled: Filled {
                pool,
                request,
                username,
            },
            params,
            pending,
        })
    }
}

/// Whether answers must not reveal which accounts exist: the client's setting (default on).
pub(super) async fn protect(ctx: &Context, pool: &Pool, pending: Option<&AuthRequestRow>) -> bool {
    match pending {
        Some(p) => match find_oauth_client(ctx, &pool.id, &p.client_id).await {
            Ok(Some(client)) => client.protects_users(),
            _ => true,
        },
        None => true,
    }
}

pub(super) fn link(pool: &Pool, page: &str, request: &str) -> String {
    if request.is_empty() {
        format!("/{}/{page}", pool.id)
    } else {
        with_query(&format!("/{}/{page}", pool.id), &[("request", request)])
    }
}
