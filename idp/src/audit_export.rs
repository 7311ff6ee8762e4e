//! The audit log as files an operator downloads from the console: CSV and JSON lines.

use crate::clock::rfc3339;
use crate::store::AuditEvent;

/// The audit log as CSV (RFC 4180, one header line): a field a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@` first) is written with a `'` before it.
pub fn to_csv(events: &[AuditEvent]) -> String {
    let mut out = String::from("time,kind,user_id,client_id,address,actor,detail\r\n");
    for e in events {
        let fields = [
            rfc3339(e.at),
            e.kind.clone(),
            e.user_id.clone().unwrap_or_default(),
            e.client_id.clone().unwrap_or_default(),
            e.address.clone().unwrap_or_default(),
            e.actor.clone().unwrap_or_default(),
            e.detail.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(value: &str) -> String {
    let value = match value.starts_with(['=', '+', '-', '@']) {
        true => format!("'{value}"),
        false => value.to_string(),
    };
    match value.contains([',', '"', '\r', '\n']) {
        true => format!("\"{}\"", value.replace('"', "\"\"")),
        false => value,
    }
}

/// The audit log as JSON lines: one event per line, its time as RFC 3339 beside the seconds.
pub fn to_json_lines(events: &[AuditEvent]) -> String {
    let mut out = String::new();
    for e in events {
        out.push_str(&to_json(e).to_string());
        out.push('\n');
    }
    out
}

/// One event as JSON (a line of the export, an item of the admin API's answer).
pub fn to_json(e: &AuditEvent) -> serde_json::Value {
    serde_json::json!({
        "time": rfc3339(e.at),
        "at": e.at,
        "kind": e.kind,
        "user_id": e.user_id,
        "client_id": e.client_id,
        "address": e.address,
        "actor": e.actor,
        "detail": e.detail,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::audit::AuditKind;

    fn event(detail: &str) -> AuditEvent {
        AuditEvent {
            user_id: Some("u1".into()),
            actor: Some("dewi".into()),
            ..AuditEvent::new(AuditKind::LoginUnlocked, 1_765_000_000, detail)
        }
    }

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        let events = [
            event("3 locks, by dewi (console): \"tiket\" 31"),
            event("=HYPERLINK(1)"),
        ];
        let csv = to_csv(&events);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "time,kind,user_id,client_id,address,actor,detail");
        assert_eq!(
            lines[1],
            "2025-12-06T05:46:40Z,login.unlocked,u1,,,dewi,\"3 locks, by dewi (console): \"\"tiket\"\" 31\""
        );
        assert_eq!(
            lines[2],
            "2025-12-06T05:46:40Z,login.unlocked,u1,,,dewi,'=HYPERLINK(1)"
        );
        assert_eq!(lines.len(), 4, "a line per event and the last line's end");
    }

    #[test]
    fn json_lines_round_trip() {
        let text = to_json_lines(&[event("a\nb"), event("c")]);
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["detail"], "a\nb");
        assert_eq!(lines[0]["time"], "2025-12-06T05:46:40Z");
        assert_eq!(lines[1]["actor"], "dewi");
        assert!(lines[1]["client_id"].is_null());
    }
}
