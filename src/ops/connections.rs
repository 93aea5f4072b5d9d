//! Limits that keep slow or numerous clients from holding the server: a deadline for each
//! request body, a cap on the connections one client address holds open, and a total
//! below the process's file-descriptor limit. Health checks are always answered.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{HttpMessage, HttpResponse};
use futures_util::StreamExt;

use crate::proxies::TrustedProxies;

/// Open connections per client address.
pub struct ConnectionLimits {
    per_address: usize,
    trusted: TrustedProxies,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl ConnectionLimits {
    pub fn new(per_address: usize, trusted: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            per_address,
            trusted,
            open: Mutex::default(),
        })
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a new connection from `ip`; the slot remembers whether it was one too many.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> ConnectionSlot {
        // A proxy carries many clients: its connections are not one client's.
        if self.trusted.contains(ip) {
            return ConnectionSlot {
                limits: None,
                ip,
                over: false,
            };
        }
        let ip = crate::ops::client_address::limit_key(ip);
        let mut open = self.open();
        let count = open.entry(ip).or_default();
        *count += 1;
        ConnectionSlot {
            over: *count > self.per_address,
            limits: Some(self.clone()),
            ip,
        }
    }

    /// Connections open from `ip` now (for tests and metrics).
    pub fn open_from(&self, ip: IpAddr) -> usize {
        self.open().get(&ip).copied().unwrap_or(0)
    }

    /// The hook for `HttpServer::on_connect`: each TCP connection carries its slot, which
    /// gives its count back when the connection closes.
    pub fn on_connect(self: &Arc<Self>, conn: &dyn std::any::Any, data: &mut Extensions) {
        if let Some(socket) = conn.downcast_ref::<actix_web::rt::net::TcpStream>()
            && let Ok(peer) = socket.peer_addr()
        {
            data.insert(self.admit(peer.ip()));
        }
    }
}

/// A connection's place in the per-address count.
pub struct ConnectionSlot {
    limits: Option<Arc<ConnectionLimits>>,
    ip: IpAddr,
    over: bool,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Some(limits) = &self.limits {
            let mut open = limits.open();
            if let Some(count) = open.get_mut(&self.ip) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    open.remove(&self.ip);
                }
            }
        }
    }
}

fn is_health(req: &ServiceRequest) -> bool {
    req.path().starts_with("/health/")
}

fn refusal(status: actix_web::http::StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("retry-after", "5"))
        .force_close()
        .json(serde_json::json!({"error": {"code": code, "message": message}}))
}

/// Answers requests on a connection beyond its address's limit with `503` and closes it;
/// health checks are answered anyway.
pub async fn limit_connections(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let over = req
        .conn_data::<ConnectionSlot>()
        .is_some_and(|slot| slot.over);
    if over && !is_health(&req) {
        let response = refusal(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "too_many_connections",
            "too many connections from this address",
        );
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// How long a body may take, and how much of it is read before the handler decides.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    pub timeout: Duration,
    /// The largest body any route takes; one byte more is read, so the route's own size
    /// check still answers `413` in its own format.
    pub max_bytes: usize,
}

/// Reads the request body within the deadline before the handler runs: a client that
/// trickles its body gets `408` and a closed connection instead of holding a worker.
pub async fn read_body_in_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(deadline) = req.app_data::<Data<BodyDeadline>>().map(|d| *d.get_ref()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let mut payload = req.take_payload();
    let read = async {
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            body.extend_from_slice(&chunk);
            if body.len() > deadline.max_bytes {
                break;
            }
        }
        Ok::<Bytes, actix_web::error::PayloadError>(body.freeze())
    };
    match tokio::time::timeout(deadline.timeout, read).await {
        Ok(Ok(body)) => {
            req.set_payload(actix_web::dev::Payload::from(body));
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Ok(Err(_)) => {
            let response = refusal(
                actix_web::http::StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request body could not be read",
            );
            Ok(req.into_response(response))
        }
        Err(_) => {
            let response = refusal(
                actix_web::http::StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request body did not arrive in time",
            );
            Ok(req.into_response(response))
        }
    }
}

/// Open file descriptors the process may have: the soft limit, raised to the hard limit
/// first where the system allows.
pub fn descriptor_limit() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return 1024;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    }
    #[cfg(not(unix))]
    {
        1024
    }
}

/// Client connections the server accepts in all: the descriptor limit less what the
/// database pool, the listener, mail and files need, so accepting never fails for want of
/// a descriptor (health checks then wait their turn rather than fail).
pub fn total_connections(descriptors: usize, database_connections: usize) -> usize {
    const RESERVED: usize = 64;
    descriptors
        .saturating_sub(RESERVED + database_connections)
        .clamp(16, 25_000)
}
