//! Summaries of finished connections (shared with the live probe) and what makes a
//! flow licensing.

use super::*;
use crate::model::url::host_of_authority;

/// Whether an event shows licensing traffic (or a fetch of a revocation host): such
/// flows are evicted last. A cheap look at what a new event says, not the verdict.
pub(super) fn event_is_licensing(
    cfg: &AnalyzeConfig,
    revocation_hosts: &HashSet<String>,
    e: &Event,
) -> bool {
    let named = |h: &str| {
        let h = h.trim_end_matches('.');
        cfg.names.iter().any(|n| n.eq_ignore_ascii_case(h))
            || revocation_hosts.contains(&h.to_ascii_lowercase())
    };
    match &e.kind {
        EventKind::TlsClientHello(ch) => ch.sni.as_deref().is_some_and(named),
        EventKind::HttpConnectRequest { target, .. } => named(host_of_authority(target)),
        EventKind::HttpRequest { target, host, .. } => {
            LICENSING_PATHS.iter().any(|p| target.contains(p))
                || host.as_deref().is_some_and(|h| named(host_of_authority(h)))
                || url_host(target).is_some_and(|h| named(&h))
        }
        _ => false,
    }
}

/// What the switch's context decides about a finished connection: one to the configured
/// proxy on which the client never sent a byte (refused, unanswered, unreachable, or
/// silent after the handshake) is licensing traffic: it never got as far as saying where
/// it was going, and the switch's proxy is there for licensing. Once the client sent
/// something (a CONNECT, a request) the names in it decide, as everywhere. One from
/// another source than the switch's addresses is not the switch's.
pub(super) fn apply_context(conn: &mut Connection, ctx: &AnalysisContext) {
    if conn.configured_proxy && conn.bytes_to_server == 0 {
        conn.licensing = true;
    }
    if !ctx.is_switch(conn.client.ip()) {
        conn.licensing = false;
    }
}

/// Fills the summary fields of a finished connection from its events.
pub(super) fn finalize_connection(
    mut flow: Flow,
    cfg: &AnalyzeConfig,
    licensing_addrs: &HashSet<IpAddr>,
) -> Connection {
    if flow.merged {
        // Each direction's events are in order; interleave them as they happened.
        flow.conn.events.sort_by_key(|e| e.time_ns);
    }
    summarize_connection(&mut flow.conn, cfg, licensing_addrs);
    flow.conn
}

/// Fills the summary fields (TLS summary, names, licensing, furthest step) of a
/// connection from its events. Shared by the capture analyser and the live probe.
pub fn summarize_connection(
    conn: &mut Connection,
    cfg: &AnalyzeConfig,
    licensing_addrs: &HashSet<IpAddr>,
) {
    let mut tls: Option<TlsSummary> = None;
    let mut reached = Step::Tcp;
    for e in &conn.events {
        match &e.kind {
            EventKind::HttpConnectRequest { target, .. } => {
                conn.proxy_target = Some(target.clone());
                reached = reached.max(Step::Proxy);
            }
            EventKind::TlsClientHello(ch) => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.sni = t.sni.clone().or(ch.sni.clone());
                t.client_max_version = Some(ch.max_version());
                reached = reached.max(Step::Tls);
            }
            EventKind::TlsServerHello(sh) if !sh.hello_retry_request => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.version = Some(sh.version);
                t.cipher = Some(sh.cipher.clone());
            }
            EventKind::TlsCertificate { certificates } if e.dir == Direction::ToClient => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                if t.certificates.is_empty() {
                    t.certificates = certificates.clone();
                }
                reached = reached.max(Step::Cert);
            }
            EventKind::TlsAlert(a)
                if a.is_fatal() || a.description != TlsAlertDescription::CloseNotify =>
            {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.alert.get_or_insert_with(|| {
                    format!(
                        "{} {} from {}",
                        a.level_name(),
                        a.description_name(),
                        if e.dir == Direction::ToClient {
                            "server"
                        } else {
                            "client"
                        }
                    )
                });
            }
            EventKind::HttpRequest { .. } => reached = reached.max(Step::Http),
            _ => {}
        }
    }
    if let Some(t) = tls.as_mut() {
        t.handshake_complete = tls_handshake_complete(&conn.events);
        if !t.handshake_complete && tls13_completion_inferred(&conn.events).is_some() {
            t.handshake_complete = true;
            t.handshake_inferred = true;
        }
    }
    let name_from_target = conn
        .proxy_target
        .as_deref()
        .map(|t| host_of_authority(t).to_string());
    let is_name = |n: &str| {
        cfg.names
            .iter()
            .any(|x| x.eq_ignore_ascii_case(n.trim_end_matches('.')))
    };
    // With neither DNS, SNI nor CONNECT captured (a capture that starts at the server's
    // answer), a licensing name the leaf certificate is issued for names the server.
    let name_from_leaf = || {
        let leaf = tls.as_ref()?.certificates.first()?;
        leaf.sans
            .iter()
            .chain(leaf.subject_cn.iter())
            .find(|n| is_name(n))
            .cloned()
    };
    conn.server_name = tls
        .as_ref()
        .and_then(|t| t.sni.clone())
        .or(name_from_target.clone())
        .or_else(|| conn.server_name.clone())
        .or_else(name_from_leaf);
    let http_licensing = conn.events.iter().any(|e| match &e.kind {
        EventKind::HttpRequest { target, host, .. } => {
            LICENSING_PATHS.iter().any(|p| target.contains(p))
                || host
                    .as_deref()
                    .is_some_and(|h| is_name(host_of_authority(h)))
        }
        _ => false,
    });
    conn.licensing = conn.licensing
        || licensing_addrs.contains(&conn.server.ip())
        || conn.server_name.as_deref().is_some_and(is_name)
        || name_from_target.as_deref().is_some_and(is_name)
        || http_licensing
        || conn.server.port() == 8182;
    conn.reached = reached;
    conn.tls = tls;
}
