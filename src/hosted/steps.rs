//! The requests of the sign-in step pages: a step's page (the step named in the query) and
//! a form that answers a step, each read with the pending sign-in this browser started.

use actix_web::HttpRequest;

use crate::accounts::signin::machine::{Origin, Start};
use crate::accounts::signin::view::{self, StepView};
use crate::context::Context;
use crate::hosted::browser::flow_start;
use crate::hosted::csrf;
use crate::hosted::forms::{
    PostedForm, expired, internal, load_pending, path_pool, request_in_query, step_in_query,
};
use crate::hosted::read::{Hosted, Read, Reading};
use crate::pools::Pool;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::Params;

/// A browser's pending sign-in: the pool, the pending request the browser started (see
/// `load_pending`), and the browser.
pub(crate) struct SignIn {
    pub(crate) pool: Pool,
    pub(crate) pending: AuthRequestRow,
    /// The digest of the browser's id.
    pub(crate) browser: String,
}

impl SignIn {
    /// The sign-in machine's context for it.
    pub(crate) fn start<'a>(&'a self, origin: Origin<'a>) -> Start<'a> {
        flow_start(&self.pool, &self.pending, &self.browser, origin)
    }

    /// What step `token` shows; the expired page when it is not live for this sign-in.
    pub(crate) async fn view(&self, ctx: &Context, token: &str) -> Reading<StepView> {
        match view::step(ctx, &self.start(Origin::default()), token).await {
            Ok(Some(view)) => Ok(view),
            Ok(None) => Err(expired(&self.pool)),
            Err(err) => Err(internal(err)),
        }
    }
}

/// A form that answers a sign-in step (or starts the sign-in), CSRF checked.
pub(crate) struct SignInPost {
    pub(crate) sign_in: SignIn,
    pub(crate) params: Params,
}

impl SignInPost {
    /// The step the form answers.
    pub(crate) fn step(&self) -> &str {
        self.params.get("step").unwrap_or_default()
    }
}

impl Read for SignInPost {
    type Before = Hosted<PostedForm>;

    async fn read(req: &HttpRequest, ctx: &Context, form: Self::Before) -> Reading<Self> {
        let Hosted(PostedForm { pool, params }) = form;
        let pending = load_pending(req, ctx, &pool, params.get("request")).await?;
        // The CSRF check guarantees the browser has its id.
        let browser = csrf::browser_id(req, ctx).unwrap_or_default();
        let sign_in = SignIn {
            pool,
            pending,
            browser,
        };
        Ok(SignInPost { sign_in, params })
    }
}

/// A sign-in step's page: the step named in the query, which must be this browser's too.
pub(crate) struct StepPage {
    pub(crate) sign_in: SignIn,
    pub(crate) step: String,
}

impl StepPage {
    /// What the step's page shows; the expired page when the step is not live.
    pub(crate) async fn view(&self, ctx: &Context) -> Reading<StepView> {
        self.sign_in.view(ctx, &self.step).await
    }
}

impl Read for StepPage {
    type Before = ();

    async fn read(req: &HttpRequest, ctx: &Context, (): ()) -> Reading<Self> {
        let pool = path_pool(req, ctx).await?;
        let pending = load_pending(req, ctx, &pool, request_in_query(req).as_deref()).await?;
        let (Some(browser), Some(step)) = (csrf::browser_id(req, ctx), step_in_query(req)) else {
            return Err(expired(&pool));
        };
        let sign_in = SignIn {
            pool,
            pending,
            browser,
        };
        Ok(StepPage { sign_in, step })
    }
}
