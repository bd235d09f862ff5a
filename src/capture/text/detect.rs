//! Which form a text is, from its first lines; and the status outputs that carry no
//! packets (refused with the command that shows them).

use super::{brief, hex, list};

/// The forms of text capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Brief,
    List,
    Detailed,
    Hex,
}

impl Form {
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Brief => "text capture (tshark summary lines)",
            Form::List => "text capture (packet list)",
            Form::Detailed => "text capture (detailed dissection)",
            Form::Hex => "text capture (hex dump)",
        }
    }
}

/// `Frame 12: 74 bytes on wire ...`: a dissection starts.
pub fn is_frame_header(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("Frame ") else {
        return false;
    };
    let Some((n, rest)) = rest.split_once(": ") else {
        return false;
    };
    n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() && rest.contains(" bytes on wire")
}

/// The form of the text whose first lines are `lines`, or `None` when no packet is
/// recognised. A dissection wins (its hex dumps belong to it), then a packet list's
/// header row, then hex (summary lines between hex blocks give their times), then
/// summary lines.
pub fn detect<'a>(lines: impl Iterator<Item = &'a str>) -> Option<Form> {
    let (mut hexes, mut briefs, mut header) = (0, 0, false);
    for l in lines {
        if is_frame_header(l) {
            return Some(Form::Detailed);
        }
        if !header && briefs == 0 && list::header_of(l).is_some() {
            header = true;
        }
        if hex::is_hex_line(l) {
            hexes += 1;
        } else if brief::parse_line(l, 0).is_some() {
            briefs += 1;
        }
    }
    if header {
        Some(Form::List)
    } else if hexes > 0 {
        Some(Form::Hex)
    } else if briefs > 0 {
        Some(Form::Brief)
    } else {
        None
    }
}

/// A status output: what it is and the command that shows packets. `monitor capture NAME
/// stop` prints the statistics then `Stopped capture point`: the stop wins.
pub fn status_of<'a>(lines: impl Iterator<Item = &'a str>) -> Option<(&'static str, &'static str)> {
    const PACKETS: &str =
        "'show monitor capture NAME buffer brief' (or 'buffer detailed', 'buffer dump')";
    let (mut status, mut stop, mut stats) = (false, false, false);
    for l in lines {
        let l = l.trim().to_ascii_lowercase();
        status |= l.starts_with("status information for capture");
        stop |= l.starts_with("stopped capture point");
        stats |= l.starts_with("capture statistics collected at");
    }
    if stop {
        Some(("the output of 'monitor capture NAME stop'", PACKETS))
    } else if status {
        Some((
            "the status of a capture point ('show monitor capture')",
            PACKETS,
        ))
    } else if stats {
        Some((
            "the statistics of a capture point ('show monitor capture NAME capture-statistics')",
            PACKETS,
        ))
    } else {
        None
    }
}
