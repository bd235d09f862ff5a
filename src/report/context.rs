//! The switch's context as `analyze` was told it (`--from-config`, `--proxy`,
//! `--dns-server`, `--switch`), printed before the reports: what "licensing traffic" meant
//! for this run.

use crate::escape::esc;
use crate::model::context::AnalysisContext;
use std::io::{self, Write};

pub fn write_context(out: &mut dyn Write, ctx: &AnalysisContext) -> io::Result<()> {
    let join = |v: Vec<String>| v.join(", ");
    match &ctx.from_config {
        Some(f) => writeln!(out, "== switch context from {}", esc(f))?,
        None => writeln!(out, "== switch context")?,
    }
    let proxies: Vec<String> = ctx
        .proxies
        .iter()
        .map(|p| {
            let known = if p.addresses.is_empty() || p.host.parse::<std::net::IpAddr>().is_ok() {
                String::new()
            } else {
                let a: Vec<String> = p.addresses.iter().map(|a| a.to_string()).collect();
                format!(" = {}", a.join(", "))
            };
            format!("{}{known} ({})", esc(&p.authority()), esc(&p.origin))
        })
        .collect();
    writeln!(
        out,
        "   proxy           {}",
        if proxies.is_empty() {
            "none (direct)".to_string()
        } else {
            join(proxies)
        }
    )?;
    let addrs = |v: &[std::net::IpAddr]| join(v.iter().map(|a| a.to_string()).collect());
    if !ctx.dns_servers.is_empty() {
        writeln!(out, "   name servers    {}", addrs(&ctx.dns_servers))?;
    }
    writeln!(
        out,
        "   switch          {}",
        if ctx.switch_addresses.is_empty() {
            "any source address (--switch IP limits it)".to_string()
        } else {
            addrs(&ctx.switch_addresses)
        }
    )?;
    if !ctx.config_addresses.is_empty() {
        writeln!(
            out,
            "   its addresses   {} (a client with one of them is the switch)",
            addrs(&ctx.config_addresses)
        )?;
    }
    let hosts: Vec<String> = ctx
        .licensing_hosts
        .iter()
        .map(|h| esc(h).to_string())
        .chain(ctx.licensing_addresses.iter().map(|a| a.to_string()))
        .collect();
    if !hosts.is_empty() {
        writeln!(out, "   licensing hosts {}", join(hosts))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::KnownProxy;

    #[test]
    fn names_what_was_known() {
        let mut p = KnownProxy::new("proxy.corp.example", 8080, "license smart proxy");
        p.addresses.push("192.0.2.8".parse().unwrap());
        let ctx = AnalysisContext {
            from_config: Some("show-run.txt".into()),
            proxies: vec![p],
            dns_servers: vec!["192.0.2.53".parse().unwrap()],
            licensing_hosts: vec!["onprem.example".into()],
            ..AnalysisContext::default()
        };
        let mut out = Vec::new();
        write_context(&mut out, &ctx).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "== switch context from show-run.txt\n   \
             proxy           proxy.corp.example:8080 = 192.0.2.8 (license smart proxy)\n   \
             name servers    192.0.2.53\n   \
             switch          any source address (--switch IP limits it)\n   \
             licensing hosts onprem.example\n"
        );
    }
}
