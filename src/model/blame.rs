//! Whose fault a failure is: the one [`Blame`] that errors, probe failures and findings
//! carry to the user (rustls' `PeerMisbehaved`/`PeerIncompatible` split is the model).
//! "Local" is the host licpath runs on, never the switch: a failure of this host's own
//! resolver, binding or routing says nothing about the switch's path.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Blame {
    /// This host: a flag, a preset file, permissions, this host's resolver, routing or
    /// binding, stdout closed.
    Local,
    /// The data given is not what was asked for: not a capture, not the switch's text.
    Input,
    /// The path: timeouts, refusals, unreachables, resets.
    Network,
    /// The proxy or server answered, wrongly.
    Peer,
}

impl Blame {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Blame::Local => "local",
            Blame::Input => "input",
            Blame::Network => "network",
            Blame::Peer => "peer",
        }
    }

    /// Who, in words, for lines people read.
    pub fn who(self) -> &'static str {
        match self {
            Blame::Local => "this host",
            Blame::Input => "the input",
            Blame::Network => "the network",
            Blame::Peer => "the peer",
        }
    }
}
