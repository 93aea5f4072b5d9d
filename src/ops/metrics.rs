//! Request counts and latency histograms by route pattern and status, in Prometheus text.

use actix_web::HttpResponse;
use actix_web::web::Data;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::context::Context;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    outbox: IntGaugeVec,
    outbox_oldest: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("cognate".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method, route and status",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )?;
        let outbox = IntGaugeVec::new(
            Opts::new(
                "outbox_mails",
                "Mails in the outbox by status (queued, sent, failed)",
            ),
            &["status"],
        )?;
        let outbox_oldest = IntGauge::new(
            "outbox_oldest_unsent_age_seconds",
            "Age of the oldest mail not sent yet (0 when none waits)",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(outbox.clone()))?;
        registry.register(Box::new(outbox_oldest.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            outbox,
            outbox_oldest,
        })
    }

    /// `route` is the matched pattern (`/admin/v1/pools/{pool_id}`), never the raw path, so
    /// the number of series stays bounded whatever clients send.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

/// Needs a credential allowed `cognate:GetMetrics` (such as a key whose only policy is
/// `CognateMetricsReader`), checked and audited as the admin API is: live outbox counts
/// would otherwise let anyone watch whether a forgot-password or resend request for some
/// name produced a mail, which tells whether the account exists. Prometheus sends
/// `authorization: {credentials: <access key id>:<secret>}`. `startup` mounts it at
/// `/metrics` behind the admin API's credential check.
pub async fn metrics(metrics: Data<Metrics>, ctx: Data<Context>) -> HttpResponse {
    // The outbox is shared by every process, so its figures come from the database.
    match crate::store::outbox::stats(&ctx.store).await {
        Ok((queued, sent, failed, oldest)) => {
            metrics.outbox.with_label_values(&["queued"]).set(queued);
            metrics.outbox.with_label_values(&["sent"]).set(sent);
            metrics.outbox.with_label_values(&["failed"]).set(failed);
            let age = oldest.map_or(0, |t| ((ctx.now() - t) / 1000).max(0));
            metrics.outbox_oldest.set(age);
        }
        Err(err) => tracing::warn!(error = %err, "cannot read outbox figures"),
    }
    match metrics.render() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(err) => {
            tracing::error!(error = %err, "cannot render metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}
