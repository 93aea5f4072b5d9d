//! The viewer at `/admin/docs` is served with headers that keep it from being framed,
//! sniffed or leaking its URL, and with a CSP under which it still loads.

use crate::helpers::{Backend, spawn_app};
use crate::on_both;

on_both!(the_docs_viewer_sends_security_headers);

async fn the_docs_viewer_sends_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get("/admin/docs/").await;
    assert_eq!(page.status, 200);
    let redirect = app.get("/admin/docs").await;
    assert_eq!(redirect.status, 308);

    for answer in [&page, &redirect] {
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("no {name} header"))
                .to_string()
        };
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "no-referrer");
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "connect-src 'self'",
        ] {
            assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
        }
        assert!(!csp.contains("unsafe-"), "{csp}");
    }

    // The CSP allows only this origin's files: the page must load everything from there,
    // with no inline script or style to be blocked.
    let html = &page.text;
    assert!(!html.contains("<style"), "inline style: {html}");
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty());
    let mut assets = Vec::new();
    for tag in html.split('<').skip(1) {
        for attribute in ["src=\"", "href=\""] {
            if let Some(rest) = tag.split_once(attribute).map(|(_, r)| r)
                && let Some((value, _)) = rest.split_once('"')
            {
                assets.push(value.to_string());
            }
        }
    }
    for script in scripts {
        assert!(
            script.trim_start().starts_with("src="),
            "inline script: {script}"
        );
    }
    assert!(assets.len() >= 5, "{assets:?}");
    for asset in assets {
        assert!(!asset.contains("//"), "an asset from elsewhere: {asset}");
        let path = format!("/admin/docs/{}", asset.trim_start_matches("./"));
        let answer = app.get(&path).await;
        assert_eq!(answer.status, 200, "{path}");
        assert!(
            answer.headers.get("content-security-policy").is_some(),
            "{path}"
        );
    }
    let init = app.get("/admin/docs/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    assert!(init.text.contains("/admin/v1/openapi.json"));
}
