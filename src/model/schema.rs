//! The JSON schemas of the values whose `Serialize` is written by hand (or through
//! `serialize_with`): schemars derives the rest from the serde attributes, these say what
//! the hand-written code writes. Tests only: the schemas are generated into docs/schema/
//! by `report::schema`, and the tests below check each one against what its `Serialize`
//! writes over the whole range of values.

use super::switch::{RevocationCheck, Transport};
use super::{DnsRcode, DnsType, TlsAlert};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// A string matching `pattern` (anchored), named `name` in the schema's `$defs`.
macro_rules! string_schema {
    ($ty:ty, $name:literal, $pattern:literal, $what:literal) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "pattern": $pattern, "description": $what})
            }
        }
    };
}

/// A TLS version as `protocol::tls_version_serde` writes it.
pub struct TlsVersionName;

/// A TLS record's content type as `protocol::tls_record_type_serde` writes it.
pub struct TlsRecordTypeName;

string_schema!(
    TlsVersionName,
    "TlsVersion",
    "^(SSL 3\\.0|TLS 1\\.[0-3]|TLS 1\\.3 draft [0-9]+|0x[0-9a-f]{4})$",
    "\"TLS 1.2\", \"SSL 3.0\", \"TLS 1.3 draft N\"; any other value as its number, 0xNNNN"
);
string_schema!(
    TlsRecordTypeName,
    "TlsRecordType",
    "^(change_cipher_spec|alert|handshake|application_data|heartbeat|unknown)$",
    "The record's content type (RFC 8446 §5.1, RFC 6520), or unknown"
);
string_schema!(
    DnsType,
    "DnsType",
    "^(A|NS|CNAME|SOA|PTR|MX|TXT|AAAA|SRV|HTTPS|TYPE[0-9]+)$",
    "The query's RR TYPE by name, TYPEn for one licpath does not name (RFC 3597 §5)"
);
string_schema!(
    DnsRcode,
    "DnsRcode",
    "^(NOERROR|FORMERR|SERVFAIL|NXDOMAIN|NOTIMP|REFUSED|RCODE[0-9]+)$",
    "The answer's RCODE as RFC 1035 names it, RCODEn otherwise"
);
string_schema!(
    Transport,
    "Transport",
    "^[^A-Z]*$",
    "How the switch reports: smart | callhome | cslu | off | automatic | disabled | unknown, \
     or another word as the text gives it, lower case"
);

/// A variant written as another one (`EventKind::HttpHeadTooLong` is the `not_tls` event):
/// its branch of the enum's `oneOf` matches nothing, so the other's is the one that takes
/// it (two branches that match the same value would fail `oneOf`).
pub struct WrittenAsAnother;

impl JsonSchema for WrittenAsAnother {
    fn schema_name() -> Cow<'static, str> {
        "WrittenAsAnother".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        false.into()
    }
}

impl JsonSchema for TlsAlert {
    fn schema_name() -> Cow<'static, str> {
        "TlsAlert".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "properties": {
                "level": {"type": "string", "pattern": "^(warning|fatal|level_[0-9]+)$"},
                "description": {
                    "type": "string",
                    "pattern": "^[a-z0-9_]+$",
                    "description": "The IANA TLS Alert Registry's name, alert_N for a value it does not name"
                },
                "code": {"type": "integer", "minimum": 0, "maximum": 255}
            },
            "required": ["level", "description", "code"],
            "additionalProperties": false
        })
    }
}

impl JsonSchema for RevocationCheck {
    fn schema_name() -> Cow<'static, str> {
        "RevocationCheck".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The trustpoint and its revocation-check methods: [\"SLA-TrustPoint\", [\"crl\"]]",
            "type": "array",
            "prefixItems": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}}
            ],
            "minItems": 2,
            "items": false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::protocol::{tls_record_type_serde, tls_version_serde};
    use crate::model::switch::RevocationMethod;
    use crate::model::{TlsRecordType, TlsVersion};
    use serde_json::value::Serializer;

    /// Every value is valid against `T`'s schema; an object of another shape is not.
    fn all_valid<T: JsonSchema>(values: impl IntoIterator<Item = serde_json::Value>) {
        let schema = SchemaGenerator::default().into_root_schema_for::<T>();
        let v = jsonschema::validator_for(schema.as_value()).unwrap();
        let mut n = 0;
        for value in values {
            if let Some(e) = v.iter_errors(&value).next() {
                panic!("{}: {value} is not valid: {e}", T::schema_name());
            }
            n += 1;
        }
        assert!(n > 0);
        assert!(!v.is_valid(&serde_json::json!({"other": 1})));
    }

    fn json(v: impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn the_hand_written_schemas_take_what_the_hand_written_serialize_writes() {
        all_valid::<TlsVersionName>(
            (0..=u16::MAX).map(|n| tls_version_serde::one(&TlsVersion(n), Serializer).unwrap()),
        );
        all_valid::<TlsRecordTypeName>(
            (0..=u8::MAX).map(|n| tls_record_type_serde(&TlsRecordType(n), Serializer).unwrap()),
        );
        all_valid::<DnsType>((0..=u16::MAX).map(|n| json(DnsType(n))));
        all_valid::<DnsRcode>((0..16).map(|n| json(DnsRcode(n))));
        all_valid::<TlsAlert>(
            (0..=u8::MAX).flat_map(|l| (0..=u8::MAX).map(move |d| json(TlsAlert::new(l, d)))),
        );
        all_valid::<Transport>(
            [
                "smart",
                "callhome",
                "cslu",
                "off",
                "automatic",
                "disabled",
                "unknown",
                "x-1",
            ]
            .map(|w| json(Transport::from_word(w))),
        );
        all_valid::<RevocationCheck>([
            json(RevocationCheck {
                trustpoint: "SLA-TrustPoint".into(),
                methods: vec![RevocationMethod::Crl, RevocationMethod::Other("x".into())],
            }),
            json(RevocationCheck {
                trustpoint: "tp".into(),
                methods: vec![],
            }),
        ]);
    }
}
