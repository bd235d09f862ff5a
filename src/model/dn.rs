//! How a distinguished name is written for people: one order everywhere.
//!
//! Names are kept (`CertInfo::subject`/`issuer`, trust anchors) exactly as the certificate
//! encodes them (x509-parser's form: `TYPE=value` per RDN, in encoded order, joined by
//! `, `), and chains are linked and judged on that form. Shown (text, HTML, Markdown,
//! TUI, finding messages), a name is written most specific first: `CN` first, then the
//! other attributes, `OU`, `O`, `L`, `ST`/`DC`, `C` last — the order RFC 4514 gives a
//! name encoded country first, as nearly every certificate is — whatever order this
//! certificate stored it in, so a subject and an issuer read alike side by side.

/// `stored` (x509-parser's form, encoded order) written CN first … C last.
pub fn display(stored: &str) -> String {
    let mut rdns = split_rdns(stored);
    // RFC 4514 order (the last RDN first), then the attribute types most specific first;
    // the sort is stable, so repeated types (two OUs, DC labels) keep RFC 4514's order.
    rdns.reverse();
    rdns.sort_by_key(|r| rank(r));
    rdns.join(", ")
}

/// The RDNs of `stored`: split at `, ` only where an attribute type and `=` follow, so a
/// value holding a comma (`O=Cisco Systems, Inc.`) stays whole.
fn split_rdns(stored: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    let mut at = 0;
    while let Some(i) = stored[at..].find(", ") {
        let cut = at + i;
        if starts_with_type(&stored[cut + 2..]) {
            out.push(&stored[from..cut]);
            from = cut + 2;
        }
        at = cut + 2;
    }
    out.push(&stored[from..]);
    out
}

/// `CN=`, `emailAddress=`, `OID(2.5.4.97)=`: an attribute type as x509-parser writes it.
fn starts_with_type(s: &str) -> bool {
    s.find('=').is_some_and(|eq| {
        eq > 0
            && s[..eq]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '(' | ')' | '-'))
    })
}

fn rank(rdn: &str) -> u8 {
    let ty = rdn.split_once('=').map_or("", |(t, _)| t);
    match ty {
        "CN" => 0,
        "OU" => 2,
        "O" => 3,
        "L" => 4,
        "ST" | "DC" => 5,
        "C" => 6,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::display;

    #[test]
    fn names_read_cn_first_whatever_order_they_were_stored_in() {
        // Encoded country first (nearly every CA) and CN first (the lab's leaf): one form.
        assert_eq!(
            display("C=US, O=IdenTrust, CN=IdenTrust Commercial Root CA 1"),
            "CN=IdenTrust Commercial Root CA 1, O=IdenTrust, C=US"
        );
        assert_eq!(
            display("CN=HydrantID Server CA O1, O=IdenTrust, C=US"),
            "CN=HydrantID Server CA O1, O=IdenTrust, C=US"
        );
        assert_eq!(
            display(
                "C=US, O=IdenTrust, OU=HydrantID Trusted Certificate Service, CN=HydrantID Server CA O1"
            ),
            "CN=HydrantID Server CA O1, OU=HydrantID Trusted Certificate Service, O=IdenTrust, C=US"
        );
        // A comma inside a value, a multi-valued RDN, DC labels in RFC 4514 order, an
        // unknown type right after CN.
        assert_eq!(
            display(
                "C=US, ST=California, L=San Jose, O=Cisco Systems, Inc., CN=smartreceiver.cisco.com"
            ),
            "CN=smartreceiver.cisco.com, O=Cisco Systems, Inc., L=San Jose, ST=California, C=US"
        );
        assert_eq!(
            display("DC=com, DC=example, CN=a + UID=7"),
            "CN=a + UID=7, DC=example, DC=com"
        );
        assert_eq!(
            display("C=DE, OID(2.5.4.97)=VATDE-1, CN=x"),
            "CN=x, OID(2.5.4.97)=VATDE-1, C=DE"
        );
        assert_eq!(display(""), "");
        assert_eq!(display("not a name, at all"), "not a name, at all");
    }
}
