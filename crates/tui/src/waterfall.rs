//! The waterfall: the phases of a request laid out on a time axis shared by every row.
//!
//! This module owns the [`Phase`]s (their order, names and colours), the conversion of
//! [`model::Timings`] into consecutive phase durations, and the scaling of those durations
//! onto a row of terminal cells ([`Axis::cells`]). Phases are drawn one after the other from
//! the transaction's start, in HAR order; `connect` is drawn without the TLS handshake, which
//! HAR counts inside it and which is drawn as its own `ssl` phase.

use ratatui::style::Color;

/// One phase of a request's timeline, in drawing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting before the connection could be used.
    Blocked,
    /// Name resolution.
    Dns,
    /// TCP connection set-up (without TLS).
    Connect,
    /// TLS handshake.
    Ssl,
    /// Sending the request.
    Send,
    /// Waiting for the first byte of the response.
    Wait,
    /// Receiving the response.
    Receive,
}

impl Phase {
    /// Every phase, in drawing order.
    pub const ALL: [Phase; 7] = [
        Phase::Blocked,
        Phase::Dns,
        Phase::Connect,
        Phase::Ssl,
        Phase::Send,
        Phase::Wait,
        Phase::Receive,
    ];

    /// The short name shown in the legend and the detail pane.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Blocked => "blocked",
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Ssl => "ssl",
            Phase::Send => "send",
            Phase::Wait => "wait",
            Phase::Receive => "receive",
        }
    }

    /// Its colour (the same hues as the HTML report's waterfall).
    pub fn color(self) -> Color {
        match self {
            Phase::Blocked => Color::DarkGray,
            Phase::Dns => Color::Cyan,
            Phase::Connect => Color::Yellow,
            Phase::Ssl => Color::Magenta,
            Phase::Send => Color::Blue,
            Phase::Wait => Color::Green,
            Phase::Receive => Color::LightBlue,
        }
    }
}

/// The durations of [`Phase::ALL`] in nanoseconds (0 when a phase does not apply), with
/// `connect` reduced by `ssl`.
pub fn phases(t: &model::Timings) -> [u64; 7] {
    let ssl = t.ssl.unwrap_or(0);
    [
        t.blocked.unwrap_or(0),
        t.dns.unwrap_or(0),
        t.connect.map_or(0, |c| c.saturating_sub(ssl)),
        ssl,
        t.send.unwrap_or(0),
        t.wait.unwrap_or(0),
        t.receive.unwrap_or(0),
    ]
}

/// The time span the waterfall column shows: from `start` (ns since the epoch) for `span`
/// nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Axis {
    /// The left edge.
    pub start: i64,
    /// The width in nanoseconds (at least 1).
    pub span: u64,
}

impl Axis {
    /// The axis from the earliest start to the latest end of `extents` (`(start, duration)`
    /// pairs); `None` when there are none.
    pub fn covering(extents: impl Iterator<Item = (i64, u64)>) -> Option<Axis> {
        let mut range: Option<(i64, i64)> = None;
        for (start, len) in extents {
            let end = start.saturating_add(i64::try_from(len).unwrap_or(i64::MAX));
            range = Some(match range {
                None => (start, end),
                Some((a, b)) => (a.min(start), b.max(end)),
            });
        }
        range.map(|(a, b)| Axis {
            start: a,
            span: u64::try_from(b.saturating_sub(a)).unwrap_or(0).max(1),
        })
    }

    /// The phase drawn in each of `width` cells for a request starting at `start` with the
    /// phase durations `phases`. Every phase that lasted at all gets at least one cell; where
    /// phases share a cell, the later one is drawn. A request without any phase gets `None`
    /// everywhere (the caller marks its start).
    pub fn cells(&self, start: i64, phases: &[u64; 7], width: usize) -> Vec<Option<Phase>> {
        let mut cells = vec![None; width];
        if width == 0 {
            return cells;
        }
        let scale = width as f64 / self.span.max(1) as f64;
        let mut pos = start.saturating_sub(self.start) as f64;
        for (phase, &d) in Phase::ALL.iter().zip(phases) {
            if d == 0 {
                continue;
            }
            let from = ((pos * scale).floor().max(0.0) as usize).min(width - 1);
            pos += d as f64;
            let to = ((pos * scale).ceil().max(0.0) as usize).clamp(from + 1, width);
            for c in &mut cells[from..to] {
                *c = Some(*phase);
            }
        }
        cells
    }

    /// The cell where a request starting at `start` begins.
    pub fn cell_of(&self, start: i64, width: usize) -> usize {
        let x = start.saturating_sub(self.start) as f64 * width as f64 / self.span.max(1) as f64;
        (x.max(0.0) as usize).min(width.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Timings;

    const MS: u64 = 1_000_000;

    #[test]
    fn connect_excludes_ssl() {
        let t = Timings {
            connect: Some(40 * MS),
            ssl: Some(30 * MS),
            send: Some(MS),
            wait: Some(20 * MS),
            ..Timings::default()
        };
        assert_eq!(phases(&t), [0, 0, 10 * MS, 30 * MS, MS, 20 * MS, 0]);
    }

    #[test]
    fn axis_covers_every_extent() {
        let a = Axis::covering([(100, 50), (80, 10), (120, 100)].into_iter()).unwrap();
        assert_eq!(
            a,
            Axis {
                start: 80,
                span: 140
            }
        );
        assert_eq!(Axis::covering(std::iter::empty()), None);
        // A single instant still has a width.
        assert_eq!(Axis::covering([(5, 0)].into_iter()).unwrap().span, 1);
    }

    #[test]
    fn cells_scale_onto_the_width() {
        let axis = Axis {
            start: 0,
            span: 100,
        };
        // Starts at 50: connect 20, wait 30 on 10 cells.
        let p = [0, 0, 20, 0, 0, 30, 0];
        let cells = axis.cells(50, &p, 10);
        use Phase::*;
        assert_eq!(
            cells,
            [
                None,
                None,
                None,
                None,
                None,
                Some(Connect),
                Some(Connect),
                Some(Wait),
                Some(Wait),
                Some(Wait)
            ]
        );
    }

    #[test]
    fn tiny_phases_get_a_cell_and_later_phases_win() {
        let axis = Axis {
            start: 0,
            span: 1000,
        };
        let cells = axis.cells(0, &[0, 0, 0, 0, 1, 0, 0], 10);
        assert_eq!(cells[0], Some(Phase::Send));
        assert!(cells[1..].iter().all(Option::is_none));
        // Send and wait share the first cell: wait is drawn.
        let cells = axis.cells(0, &[0, 0, 0, 0, 1, 200, 0], 10);
        assert_eq!(cells[0], Some(Phase::Wait));
        assert_eq!(cells[2], Some(Phase::Wait));
        assert_eq!(cells[3], None);
    }

    #[test]
    fn out_of_range_starts_are_clamped() {
        let axis = Axis {
            start: 1000,
            span: 100,
        };
        let cells = axis.cells(0, &[0, 0, 0, 0, 0, 10, 0], 4);
        assert_eq!(cells[0], Some(Phase::Wait));
        let cells = axis.cells(5000, &[0, 0, 0, 0, 0, 10, 0], 4);
        assert_eq!(cells[3], Some(Phase::Wait));
        assert!(axis.cells(0, &[0; 7], 0).is_empty());
        assert_eq!(axis.cell_of(1050, 10), 5);
        assert_eq!(axis.cell_of(9999, 10), 9);
    }
}
