//! The view's state, its keys, and its drawing.
//!
//! This module owns [`App`]: the [`RequestList`], the selection (a row index, so it stays on
//! the same request while rows arrive, the sort changes or the filter changes), the scroll
//! offset, follow mode, the open pane (details or findings), the filter being typed, the loss
//! counters and the report once it has arrived. [`App::apply`] takes updates, [`App::key`]
//! takes keys, [`App::draw`] renders a frame; none of them does I/O, so tests drive them and
//! read the frame from ratatui's `TestBackend`.
//!
//! Screen, top to bottom: three header lines (title and feed state; counts; loss counters,
//! always shown, non-zero ones in red), the request list (column headings, then one row per
//! request with its waterfall), the pane when open, and a footer (filter, sort, follow, keys;
//! or the filter being typed).

use crate::detail::{self, severity_color};
use crate::format::{bytes, clean, clip, duration};
use crate::list::{Filter, RequestList, Row, SortKey, StatusFilter};
use crate::waterfall::{Axis, Phase};
use crate::{TuiOptions, Update};
use model::{DnsOutcome, Finding, Severity, Stats, Timestamp, Transaction};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use std::collections::HashMap;
use std::time::Duration;

/// What the keyboard is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// Moving in the list.
    List,
    /// Typing a filter; `before` is restored by Esc.
    Filter { before: String },
    /// The help overlay is shown.
    Help,
}

/// The pane under the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pane {
    None,
    Detail,
    Findings,
}

/// Where the feed is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Feed {
    /// Updates may still come.
    Live,
    /// The report arrived.
    Done,
    /// Every sender was dropped without a report.
    Ended,
    /// The producer failed.
    Failed(String),
}

/// What a key asks of the event loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Keep going (redraw).
    Continue,
    /// Leave the view.
    Quit,
}

/// One column of the request list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Status,
    Method,
    Host,
    Path,
    Protocol,
    Process,
    Transferred,
    Size,
    Time,
    Waterfall,
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Status => "Status",
            Column::Method => "Method",
            Column::Host => "Host",
            Column::Path => "Path",
            Column::Protocol => "Protocol",
            Column::Process => "Process",
            Column::Transferred => "Transf.",
            Column::Size => "Size",
            Column::Time => "Time",
            Column::Waterfall => "Waterfall",
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Column::Transferred | Column::Size | Column::Time)
    }

    /// The column showing the sort key.
    fn of_sort(key: SortKey) -> Column {
        match key {
            SortKey::Start => Column::Waterfall,
            SortKey::Duration => Column::Time,
            SortKey::Size => Column::Transferred,
            SortKey::Status => Column::Status,
        }
    }
}

/// The columns shown in `width` cells and their widths (one blank cell between columns).
/// Process and size give way below 120 columns; of the rest, the waterfall takes 35 %, the
/// host 30 % of what remains and the path the rest.
fn columns(width: u16) -> Vec<(Column, u16)> {
    let wide = width >= 120;
    let mut cols = vec![
        (Column::Status, 6),
        (Column::Method, 7),
        (Column::Host, 0),
        (Column::Path, 0),
        (Column::Protocol, 8),
    ];
    if wide {
        cols.push((Column::Process, 16));
    }
    cols.push((Column::Transferred, 8));
    if wide {
        cols.push((Column::Size, 8));
    }
    cols.push((Column::Time, 8));
    cols.push((Column::Waterfall, 0));
    let fixed: u16 = cols.iter().map(|c| c.1).sum();
    let gaps = u16::try_from(cols.len() - 1).unwrap_or(u16::MAX);
    let flexible = width.saturating_sub(fixed).saturating_sub(gaps);
    let waterfall = (u32::from(flexible) * 35 / 100) as u16;
    let host = (u32::from(flexible - waterfall) * 30 / 100) as u16;
    let path = flexible - waterfall - host;
    for (c, w) in &mut cols {
        match c {
            Column::Waterfall => *w = waterfall,
            Column::Host => *w = host,
            Column::Path => *w = path,
            _ => {}
        }
    }
    cols
}

/// The loss counters shown in the header: name, value, and whether it is non-zero. Every
/// counter is always listed, so that "no loss" is visible too.
fn losses(stats: &Stats, extra: &[(String, u64)]) -> Vec<(String, String, bool)> {
    let n = |name: &str, v: u64| (name.to_owned(), v.to_string(), v > 0);
    let mut out = vec![
        n("capture drops", stats.capture.dropped_by_capture),
        n("snapped", stats.capture.snapped_packets),
        n("malformed packets", stats.decode.malformed),
        (
            "tcp gaps".to_owned(),
            format!("{} ({})", stats.tcp.gaps, bytes(stats.tcp.gap_bytes)),
            stats.tcp.gaps > 0,
        ),
        (
            "buffer overflow".to_owned(),
            bytes(stats.tcp.overflow_bytes),
            stats.tcp.overflow_bytes > 0,
        ),
        n("http resyncs", stats.http.resyncs),
        n("tls no keys", stats.tls.no_keys),
        n("decrypt failures", stats.tls.failed),
        n("dns malformed", stats.dns.malformed),
    ];
    out.extend(extra.iter().map(|(name, v)| n(&clean(name), *v)));
    out
}

/// The whole view.
pub struct App {
    options: TuiOptions,
    list: RequestList,
    /// The selected row's index (not its position in the view).
    selected: Option<usize>,
    /// The view position of the first row drawn.
    offset: usize,
    follow: bool,
    pane: Pane,
    pane_scroll: u16,
    mode: Mode,
    stats: Stats,
    extra_losses: Vec<(String, u64)>,
    connections: u64,
    lookups: u64,
    failed_lookups: u64,
    origin: Option<Timestamp>,
    latest: Option<Timestamp>,
    feed: Feed,
    /// The report's findings (redacted unless secrets are shown).
    findings: Vec<Finding>,
    warnings: Vec<String>,
    /// Transaction id → indices into `findings`.
    findings_of: HashMap<u64, Vec<usize>>,
    /// The decoded transaction of the selected row.
    opened: Option<(usize, Option<Transaction>)>,
    /// Rows the list showed at the last draw (for page up and down).
    page: usize,
}

impl App {
    /// An empty view.
    pub fn new(options: TuiOptions) -> App {
        App {
            follow: options.follow,
            options,
            list: RequestList::new(),
            selected: None,
            offset: 0,
            pane: Pane::None,
            pane_scroll: 0,
            mode: Mode::List,
            stats: Stats::default(),
            extra_losses: Vec::new(),
            connections: 0,
            lookups: 0,
            failed_lookups: 0,
            origin: None,
            latest: None,
            feed: Feed::Live,
            findings: Vec::new(),
            warnings: Vec::new(),
            findings_of: HashMap::new(),
            opened: None,
            page: 20,
        }
    }

    /// Takes one update. Call [`sync`](Self::sync) after a batch.
    pub fn apply(&mut self, update: Update) {
        match update {
            Update::Start(ts) => {
                self.origin.get_or_insert(ts);
            }
            Update::Transaction(t) => {
                let end = Timestamp(
                    t.start
                        .0
                        .saturating_add(i64::try_from(t.timings.total()).unwrap_or(i64::MAX)),
                );
                self.latest = Some(self.latest.map_or(end, |l| l.max(end)));
                self.origin.get_or_insert(t.start);
                self.list.push(Row::new(&t, self.options.show_secrets));
            }
            Update::Connection(_) => self.connections += 1,
            Update::Dns(l) => {
                self.lookups += 1;
                if l.outcome != DnsOutcome::Answered {
                    self.failed_lookups += 1;
                }
            }
            Update::Stats { stats, losses } => {
                self.stats = *stats;
                self.extra_losses = losses;
            }
            Update::Finish(report) => {
                let report = *report;
                self.stats = report.stats;
                self.origin = report.first_packet.or(self.origin);
                self.latest = report.last_packet.or(self.latest);
                self.findings = if self.options.show_secrets {
                    report.findings
                } else {
                    report.findings.iter().map(output::redact_finding).collect()
                };
                self.findings_of.clear();
                for (k, f) in self.findings.iter().enumerate() {
                    for id in &f.transactions {
                        self.findings_of.entry(*id).or_default().push(k);
                    }
                }
                self.warnings = report.warnings;
                self.feed = Feed::Done;
            }
            Update::Failed(message) => self.feed = Feed::Failed(message),
        }
    }

    /// Every sender is gone: the feed is over (unless it already ended).
    pub fn feed_ended(&mut self) {
        if self.feed == Feed::Live {
            self.feed = Feed::Ended;
        }
    }

    /// Brings new rows into the view and keeps the selection valid. Returns whether anything
    /// changed.
    pub fn sync(&mut self) -> bool {
        let changed = self.list.refresh();
        self.fix_selection();
        changed
    }

    /// Follow mode selects the newest row; a selection that left the view moves to the first
    /// row; an empty view has none.
    fn fix_selection(&mut self) {
        let len = self.list.view_len();
        if len == 0 {
            return;
        }
        if self.follow {
            self.selected = self.list.index_at(len - 1);
        } else if self
            .selected
            .and_then(|i| self.list.position_of(i))
            .is_none()
        {
            self.selected = self.list.index_at(0);
        }
    }

    fn position(&self) -> Option<usize> {
        self.selected.and_then(|i| self.list.position_of(i))
    }

    fn select_position(&mut self, pos: usize) {
        let len = self.list.view_len();
        if len > 0 {
            self.selected = self.list.index_at(pos.min(len - 1));
            self.pane_scroll = 0;
        }
    }

    fn move_by(&mut self, delta: isize) {
        self.follow = false;
        let pos = self.position().unwrap_or(0);
        self.select_position(pos.saturating_add_signed(delta));
    }

    fn set_filter(&mut self, filter: Filter) {
        self.list.set_filter(filter);
        self.fix_selection();
    }

    fn toggle_status(&mut self, status: StatusFilter) {
        let mut f = self.list.filter().clone();
        f.status = if f.status == status {
            StatusFilter::All
        } else {
            status
        };
        self.set_filter(f);
    }

    /// Takes one key.
    pub fn key(&mut self, key: KeyEvent) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::Continue;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        match self.mode.clone() {
            Mode::Help => {
                if key.code == KeyCode::Char('q') {
                    return Action::Quit;
                }
                self.mode = Mode::List;
                Action::Continue
            }
            Mode::Filter { before } => {
                let mut f = self.list.filter().clone();
                match key.code {
                    KeyCode::Enter => self.mode = Mode::List,
                    KeyCode::Esc => {
                        f.text = before;
                        self.mode = Mode::List;
                        self.set_filter(f);
                    }
                    KeyCode::Backspace => {
                        f.text.pop();
                        self.set_filter(f);
                    }
                    KeyCode::Char('u') if ctrl => {
                        f.text.clear();
                        self.set_filter(f);
                    }
                    KeyCode::Char(c) if !ctrl => {
                        f.text.push(c);
                        self.set_filter(f);
                    }
                    _ => {}
                }
                Action::Continue
            }
            Mode::List => self.list_key(key.code),
        }
    }

    fn list_key(&mut self, code: KeyCode) -> Action {
        let page = isize::try_from(self.page.max(1)).unwrap_or(1);
        match code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Esc if self.pane != Pane::None => self.pane = Pane::None,
            KeyCode::Esc => return Action::Quit,
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::Home | KeyCode::Char('g') => {
                self.follow = false;
                self.select_position(0);
            }
            KeyCode::End | KeyCode::Char('G') => self.select_position(usize::MAX),
            KeyCode::Enter => {
                self.pane = if self.pane == Pane::Detail {
                    Pane::None
                } else {
                    Pane::Detail
                };
                self.pane_scroll = 0;
            }
            KeyCode::Char('F') => {
                self.pane = if self.pane == Pane::Findings {
                    Pane::None
                } else {
                    Pane::Findings
                };
                self.pane_scroll = 0;
            }
            KeyCode::Char('J') => self.pane_scroll = self.pane_scroll.saturating_add(1),
            KeyCode::Char('K') => self.pane_scroll = self.pane_scroll.saturating_sub(1),
            KeyCode::Char('f') => {
                self.follow = !self.follow;
                self.fix_selection();
            }
            KeyCode::Char('/') => {
                self.mode = Mode::Filter {
                    before: self.list.filter().text.clone(),
                };
            }
            KeyCode::Char('4') => self.toggle_status(StatusFilter::Client),
            KeyCode::Char('5') => self.toggle_status(StatusFilter::Server),
            KeyCode::Char('e') => self.toggle_status(StatusFilter::Errors),
            KeyCode::Char('x') => self.set_filter(Filter::default()),
            KeyCode::Char('s') => {
                let key = self.list.sort().0.next();
                // Start reads oldest first; the others biggest first.
                self.list.set_sort(key, key != SortKey::Start);
                self.fix_selection();
            }
            KeyCode::Char('r') => {
                let (key, desc) = self.list.sort();
                self.list.set_sort(key, !desc);
                self.fix_selection();
            }
            KeyCode::Char('?') => self.mode = Mode::Help,
            _ => {}
        }
        Action::Continue
    }

    /// Draws the whole screen. `elapsed` is the wall-clock time since the view opened.
    pub fn draw(&mut self, frame: &mut Frame, elapsed: Duration) {
        let area = frame.area();
        let [header, body, footer] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(self.header_lines(elapsed)), header);
        let (list_area, pane_area) = if self.pane == Pane::None {
            (body, None)
        } else {
            let [a, b] = Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(body);
            (a, Some(b))
        };
        self.draw_list(list_area, frame.buffer_mut());
        if let Some(pane) = pane_area {
            self.draw_pane(frame, pane);
        }
        frame.render_widget(Paragraph::new(self.footer_line()), footer);
        if self.mode == Mode::Help {
            draw_help(frame, area);
        }
    }

    fn header_lines(&self, elapsed: Duration) -> Vec<Line<'static>> {
        let dim = Style::default().fg(Color::DarkGray);
        let state = match &self.feed {
            Feed::Live => Span::styled("● live", Style::default().fg(Color::Green)),
            Feed::Done => Span::styled("done", Style::default().fg(Color::Cyan)),
            Feed::Ended => Span::styled(
                "feed ended without a report",
                Style::default().fg(Color::Yellow),
            ),
            Feed::Failed(m) => Span::styled(
                format!("failed: {}", clean(m)),
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            ),
        };
        let span = match (self.origin, self.latest) {
            (Some(a), Some(b)) => duration(b.since(a)),
            _ => "-".to_owned(),
        };
        let title = Line::from(vec![
            Span::styled("httpscope ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(clean(&self.options.title)),
            Span::raw("  "),
            state,
            Span::styled(
                format!("  capture span {span}  open {}s", elapsed.as_secs()),
                dim,
            ),
        ]);

        let c = self.list.counts();
        let mut counts = vec![
            Span::raw(format!("requests {}", c.total)),
            Span::styled(format!("  shown {}", self.list.view_len()), dim),
            Span::raw("  4xx "),
            count_span(c.client_errors, Color::Yellow),
            Span::raw("  5xx "),
            count_span(c.server_errors, Color::Red),
            Span::raw("  failed "),
            count_span(c.failed, Color::Red),
            Span::raw(format!(
                "  connections {}  dns {} ({} failed)",
                self.connections, self.lookups, self.failed_lookups
            )),
        ];
        if self.feed == Feed::Done {
            let n = |s| self.findings.iter().filter(|f| f.severity == s).count();
            counts.push(Span::raw("  findings "));
            counts.push(Span::styled(
                format!(
                    "{} errors {} warnings {} info",
                    n(Severity::Error),
                    n(Severity::Warning),
                    n(Severity::Info)
                ),
                Style::default().fg(if n(Severity::Error) > 0 {
                    Color::Red
                } else {
                    Color::Reset
                }),
            ));
            counts.push(Span::styled(" (F)", dim));
            if !self.warnings.is_empty() {
                counts.push(Span::styled(
                    format!("  warnings {}", self.warnings.len()),
                    Style::default().fg(Color::Yellow),
                ));
            }
        }

        let mut loss = vec![Span::styled(
            "losses:",
            Style::default().add_modifier(Modifier::BOLD),
        )];
        for (name, value, bad) in losses(&self.stats, &self.extra_losses) {
            loss.push(Span::styled(format!(" {name} "), dim));
            loss.push(if bad {
                Span::styled(
                    value,
                    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
                )
            } else {
                Span::raw(value)
            });
        }
        vec![title, Line::from(counts), Line::from(loss)]
    }

    fn footer_line(&self) -> Line<'static> {
        let key = Style::default().fg(Color::Black).bg(Color::Gray);
        if let Mode::Filter { .. } = self.mode {
            return Line::from(vec![
                Span::styled("/", key),
                Span::raw(clean(&self.list.filter().text)),
                Span::styled("█", Style::default().add_modifier(Modifier::SLOW_BLINK)),
                Span::styled(
                    "  (host, path, status, method, protocol, process; Enter keeps, Esc cancels)",
                    Style::default().fg(Color::DarkGray),
                ),
            ]);
        }
        let f = self.list.filter();
        let text = if f.text.is_empty() {
            "-".to_owned()
        } else {
            clean(&f.text)
        };
        let status = f
            .status
            .label()
            .map_or(String::new(), |l| format!(" [{l}]"));
        let (sort, desc) = self.list.sort();
        Line::from(vec![
            Span::raw(format!(
                " filter {text}{status}  sort {} {}  follow {}  ",
                sort.name(),
                if desc { "▼" } else { "▲" },
                if self.follow { "on" } else { "off" }
            )),
            Span::styled(
                "? help  / filter  4 5 e status  s sort  Enter details  F findings  f follow  q quit",
                Style::default().fg(Color::DarkGray),
            ),
        ])
    }

    fn draw_list(&mut self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 {
            return;
        }
        let cols = columns(area.width);
        let axis = self.list.axis();
        let (sort, desc) = self.list.sort();
        let heading = Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        buf.set_style(Rect { height: 1, ..area }, heading);
        let mut x = area.x;
        for &(col, w) in &cols {
            let mut title = col.title().to_owned();
            if col == Column::Waterfall {
                if let Some(a) = axis {
                    title = format!("Waterfall 0 → {}", duration(a.span));
                }
            }
            if col == Column::of_sort(sort) {
                title.push(if desc { '▼' } else { '▲' });
            }
            buf.set_stringn(
                x,
                area.y,
                clip(&title, usize::from(w)),
                usize::from(w),
                heading,
            );
            x = x.saturating_add(w).saturating_add(1);
        }

        let height = usize::from(area.height - 1);
        self.page = height;
        let len = self.list.view_len();
        if len == 0 {
            let text = match (&self.feed, self.list.counts().total) {
                (_, n) if n > 0 => "No request matches the filter (x clears it).",
                (Feed::Live, _) => "Waiting for requests…",
                _ => "No requests.",
            };
            buf.set_string(
                area.x,
                area.y + 1,
                text,
                Style::default().fg(Color::DarkGray),
            );
            return;
        }
        let pos = self.position();
        if let Some(p) = pos {
            if p < self.offset {
                self.offset = p;
            } else if p >= self.offset + height {
                self.offset = p + 1 - height;
            }
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        for (line, view_pos) in (self.offset..len.min(self.offset + height)).enumerate() {
            let Some(row) = self.list.at(view_pos) else {
                continue;
            };
            let y = area.y + 1 + line as u16;
            let selected = Some(view_pos) == pos;
            draw_row(buf, area.x, y, &cols, row, axis, selected);
        }
    }

    fn draw_pane(&mut self, frame: &mut Frame, area: Rect) {
        let (title, lines) = match self.pane {
            Pane::Findings => (
                " Findings (F closes, J/K scroll) ".to_owned(),
                self.findings_lines(),
            ),
            _ => {
                let Some(index) = self.selected else {
                    return;
                };
                if self.opened.as_ref().is_none_or(|(i, _)| *i != index) {
                    let t = self.list.row(index).and_then(Row::transaction);
                    self.opened = Some((index, t));
                }
                let Some((_, Some(t))) = &self.opened else {
                    return;
                };
                let found: Vec<&Finding> = self
                    .findings_of
                    .get(&t.id)
                    .map(|ks| ks.iter().filter_map(|&k| self.findings.get(k)).collect())
                    .unwrap_or_default();
                (
                    format!(" Request #{} (Enter closes, J/K scroll) ", t.id),
                    detail::lines(t, self.origin, &found),
                )
            }
        };
        let block = Block::default().borders(Borders::TOP).title(title);
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((self.pane_scroll, 0)),
            area,
        );
    }

    fn findings_lines(&self) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        if self.feed != Feed::Done {
            out.push(Line::from("Findings are computed when the feed ends."));
        } else if self.findings.is_empty() {
            out.push(Line::from("No findings."));
        }
        for f in &self.findings {
            let ids: Vec<String> = f
                .transactions
                .iter()
                .take(12)
                .map(|id| format!("#{id}"))
                .collect();
            let more = f.transactions.len().saturating_sub(12);
            out.push(Line::from(vec![
                Span::styled(
                    format!("{:<8}", format!("{:?}", f.severity).to_lowercase()),
                    Style::default().fg(severity_color(f.severity)),
                ),
                Span::styled(
                    clean(&f.rule),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!(" {} ", clean(&f.message))),
                Span::styled(
                    format!(
                        "{}{}",
                        ids.join(" "),
                        if more > 0 {
                            format!(" +{more}")
                        } else {
                            String::new()
                        }
                    ),
                    Style::default().fg(Color::DarkGray),
                ),
            ]));
        }
        if !self.warnings.is_empty() {
            out.push(Line::default());
            out.push(Line::from(Span::styled(
                "Warnings",
                Style::default().add_modifier(Modifier::BOLD),
            )));
            out.extend(self.warnings.iter().map(|w| Line::from(clean(w))));
        }
        out
    }
}

fn count_span(n: u64, color: Color) -> Span<'static> {
    if n > 0 {
        Span::styled(n.to_string(), Style::default().fg(color))
    } else {
        Span::raw("0")
    }
}

fn status_color(status: u16) -> Color {
    match status {
        0 => Color::Red,
        100..=299 => Color::Green,
        300..=399 => Color::Cyan,
        400..=499 => Color::Yellow,
        _ => Color::Red,
    }
}

fn draw_row(
    buf: &mut Buffer,
    x0: u16,
    y: u16,
    cols: &[(Column, u16)],
    row: &Row,
    axis: Option<Axis>,
    selected: bool,
) {
    let base = if selected {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default()
    };
    let total: u16 = cols.iter().map(|c| c.1 + 1).sum();
    buf.set_style(Rect::new(x0, y, total.saturating_sub(1), 1), base);
    let mut x = x0;
    for &(col, w) in cols {
        let width = usize::from(w);
        let text = match col {
            Column::Status => {
                let s = if row.status == 0 {
                    "fail".to_owned()
                } else {
                    row.status.to_string()
                };
                if row.findings > 0 {
                    format!("{s} !")
                } else {
                    s
                }
            }
            Column::Method => row.method.to_string(),
            Column::Host => row.host.to_string(),
            Column::Path => row.path.to_string(),
            Column::Protocol => row.protocol.to_string(),
            Column::Process => row.process.as_deref().unwrap_or("-").to_owned(),
            Column::Transferred if row.status == 0 => String::new(),
            Column::Transferred => bytes(row.transferred),
            Column::Size if row.status == 0 => String::new(),
            Column::Size => bytes(row.size),
            Column::Time => duration(row.time),
            Column::Waterfall => {
                if let Some(a) = axis {
                    draw_waterfall(buf, x, y, w, row, a);
                }
                String::new()
            }
        };
        let style = match col {
            Column::Status => base.fg(status_color(row.status)),
            _ => base,
        };
        let text = clip(&text, width);
        let text = if col.right_aligned() {
            format!("{text:>width$}")
        } else {
            text
        };
        buf.set_stringn(x, y, text, width, style);
        x = x.saturating_add(w).saturating_add(1);
    }
}

fn draw_waterfall(buf: &mut Buffer, x: u16, y: u16, w: u16, row: &Row, axis: Axis) {
    let cells = axis.cells(row.start, &row.phases, usize::from(w));
    if cells.iter().all(Option::is_none) {
        let at = axis.cell_of(row.start, usize::from(w));
        if let Some(cell) = buf.cell_mut((x + at as u16, y)) {
            cell.set_char('·');
        }
        return;
    }
    for (i, phase) in cells.iter().enumerate() {
        if let (Some(p), Some(cell)) = (phase, buf.cell_mut((x + i as u16, y))) {
            cell.set_char('█').set_fg(p.color());
        }
    }
}

const HELP: [(&str, &str); 17] = [
    ("↑ ↓  j k", "move the selection"),
    ("PgUp PgDn", "move by a page"),
    ("Home End  g G", "first, last request"),
    ("Enter", "open or close the details of the selection"),
    ("J K", "scroll the details or findings"),
    (
        "/",
        "filter: words matched in host, path, status, method, protocol, process",
    ),
    (
        "4  5  e",
        "only 4xx, only 5xx, only errors (no response, 4xx, 5xx); again: all",
    ),
    ("x", "clear every filter"),
    ("s  r", "sort by start, duration, size, status; reverse"),
    ("f", "follow: keep the newest request selected"),
    ("F", "the report's findings and warnings"),
    ("?", "this help"),
    ("Esc", "close the pane, else quit"),
    ("q  Ctrl-C", "quit"),
    ("", ""),
    ("status !", "the request has findings"),
    (
        "waterfall",
        "blocked dns connect ssl send wait receive, on one time axis",
    ),
];

fn draw_help(frame: &mut Frame, area: Rect) {
    let w = area.width.min(90);
    let h = area.height.min(HELP.len() as u16 + 4);
    let rect = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(
                    format!("{k:<15}"),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*v),
            ])
        })
        .collect();
    lines.push(Line::from(
        Phase::ALL
            .iter()
            .flat_map(|p| {
                [
                    Span::styled("██", Style::default().fg(p.color())),
                    Span::raw(format!(" {}  ", p.name())),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (any key closes) "),
        ),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::tests::{curl, tx, MS, T0};
    use model::{Finding, Severity};
    use output::Report;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn keys(app: &mut App, text: &str) {
        for c in text.chars() {
            assert_eq!(app.key(key(KeyCode::Char(c))), Action::Continue);
        }
    }

    /// Draws `app` on a `w`×`h` test terminal; returns the screen's lines and its buffer.
    fn screen(app: &mut App, w: u16, h: u16) -> (Vec<String>, Buffer) {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| app.draw(f, Duration::from_secs(3)))
            .unwrap();
        let buf = terminal.backend().buffer().clone();
        let lines = (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect();
        (lines, buf)
    }

    fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{}", lines.join("\n")))
    }

    fn app() -> App {
        let mut app = App::new(TuiOptions {
            title: "capture.pcapng".into(),
            ..TuiOptions::default()
        });
        app.apply(Update::Start(Timestamp(T0)));
        let mut with_process = tx(3, 30, "http://api.test/v1/items?token=abc", Some(404), 5);
        with_process.process = Some(curl());
        with_process.findings = vec!["client-error".into()];
        for t in [
            tx(1, 0, "http://www.test/", Some(200), 50),
            tx(2, 10, "http://www.test/app.js", Some(500), 20),
            with_process,
            tx(4, 5, "http://cdn.test/img.png", None, 1),
        ] {
            app.apply(Update::Transaction(Box::new(t)));
        }
        let mut stats = Stats::default();
        stats.tcp.gaps = 2;
        stats.tcp.gap_bytes = 4_380;
        app.apply(Update::Stats {
            stats: Box::new(stats),
            losses: vec![("events lost".into(), 7)],
        });
        app.sync();
        app
    }

    fn report() -> Report {
        Report {
            input: "capture.pcapng".into(),
            first_packet: Some(Timestamp(T0)),
            last_packet: Some(Timestamp(T0 + 60 * MS as i64)),
            stats: Stats::default(),
            summary: output::SummaryBuilder::new().build(),
            warnings: vec!["1 TLS connection(s) could not be decrypted".into()],
            findings: vec![Finding {
                rule: "client-error".into(),
                severity: Severity::Warning,
                message: "GET http://api.test/v1/items?token=abc answered 404".into(),
                origin: Some("http://api.test".into()),
                transactions: vec![3],
                evidence: vec![],
                hint: "Fix the link.".into(),
            }],
        }
    }

    #[test]
    fn list_shows_rows_counts_and_losses() {
        let mut app = app();
        let (lines, buf) = screen(&mut app, 200, 20);
        assert!(lines[0].contains("httpscope capture.pcapng") && lines[0].contains("● live"));
        let counts = &lines[1];
        assert!(
            counts.contains("requests 4") && counts.contains("4xx 1"),
            "{counts}"
        );
        assert!(
            counts.contains("5xx 1") && counts.contains("failed 1"),
            "{counts}"
        );
        let loss = &lines[2];
        for part in [
            "capture drops 0",
            "tcp gaps 2 (4.38 kB)",
            "buffer overflow 0 B",
            "events lost 7",
        ] {
            assert!(loss.contains(part), "{part} in {loss}");
        }
        let head = line_with(&lines, "Status");
        for col in [
            "Method",
            "Host",
            "Path",
            "Protocol",
            "Process",
            "Transf.",
            "Size",
            "Time",
            "Waterfall 0 → 51.0 ms▲",
        ] {
            assert!(head.contains(col), "{col} in {head}");
        }
        // Start order; redacted path; process or '-'; failed rows have no sizes.
        let rows: Vec<&String> = lines[4..8].iter().collect();
        assert!(rows[0].starts_with("200    GET     www.test ") && rows[0].contains(" - "));
        assert!(
            rows[1].starts_with("fail   GET     cdn.test "),
            "{}",
            rows[1]
        );
        assert!(rows[2].starts_with("500    GET     www.test ") && rows[2].contains("/app.js"));
        assert!(
            rows[3].starts_with("404 !  GET     api.test "),
            "{}",
            rows[3]
        );
        assert!(rows[3].contains("/v1/items?token=[redacted]") && rows[3].contains("curl[4242]"));
        assert!(rows[3].contains("3.20 kB") && rows[3].contains("6.00 ms"));
        // The first row is selected; the waterfall is drawn in phase colours on one axis.
        assert!(buf[(0, 4)].modifier.contains(Modifier::REVERSED));
        let wf_x = head.find("Waterfall").unwrap() as u16;
        let first: Vec<Color> = (wf_x..200).map(|x| buf[(x, 4)].fg).collect();
        assert!(first.contains(&Phase::Send.color()) || first.contains(&Phase::Wait.color()));
        assert_eq!(
            buf[(wf_x, 4)].symbol(),
            "█",
            "request 1 starts at the axis origin"
        );
        assert_eq!(buf[(wf_x, 4)].fg, Phase::Wait.color());
        // Request 3 starts later: its bar begins to the right.
        assert_eq!(buf[(wf_x, 7)].symbol(), " ");
        assert!(lines[7].contains('█'));
    }

    #[test]
    fn keys_move_open_details_and_quit() {
        let mut app = app();
        keys(&mut app, "jjj");
        app.key(key(KeyCode::Up));
        app.key(key(KeyCode::Down));
        assert_eq!(app.key(key(KeyCode::Enter)), Action::Continue);
        let (lines, _) = screen(&mut app, 200, 120);
        let text = lines.join("\n");
        for part in [
            "Request #3",
            "GET http://api.test/v1/items?token=[redacted]",
            "Status        404 Reason",
            "Process       curl[4242]",
            "Command       curl -s http://api.test/v1",
            "Executable    /usr/bin/curl",
            "Cgroup        /user.slice/session-1.scope",
            "Authorization: Bearer [redacted]",
            "etag          \"v1\"",
            "client-error",
        ] {
            assert!(text.contains(part), "{part:?} in\n{text}");
        }
        assert!(line_with(&lines, "██ wait").trim_end().ends_with("5.00 ms"));
        assert!(!text.contains("s3cr3t") && !text.contains("token=abc"));
        // Esc closes the pane first, then quits; q quits at once.
        assert_eq!(app.key(key(KeyCode::Esc)), Action::Continue);
        assert_eq!(app.pane, Pane::None);
        assert_eq!(app.key(key(KeyCode::Esc)), Action::Quit);
        assert_eq!(app.key(key(KeyCode::Char('q'))), Action::Quit);
        assert_eq!(
            app.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Action::Quit
        );
        // Home, End, page keys stay in range.
        app.key(key(KeyCode::End));
        assert_eq!(app.position(), Some(3));
        app.key(key(KeyCode::PageDown));
        assert_eq!(app.position(), Some(3));
        app.key(key(KeyCode::PageUp));
        assert_eq!(app.position(), Some(0));
        app.key(key(KeyCode::Home));
        assert_eq!(app.position(), Some(0));
    }

    #[test]
    fn typed_filter_narrows_the_list_and_esc_restores_it() {
        let mut app = app();
        keys(&mut app, "/curl");
        let (lines, _) = screen(&mut app, 200, 20);
        assert!(lines[19].starts_with("/curl█"), "{}", lines[19]);
        assert!(lines[1].contains("shown 1"));
        assert!(lines[4].contains("api.test") && lines[5].trim().is_empty());
        app.key(key(KeyCode::Enter));
        let (lines, _) = screen(&mut app, 200, 20);
        assert!(lines[19].contains("filter curl"), "{}", lines[19]);
        // A second filter edit cancelled with Esc goes back to "curl".
        keys(&mut app, "/xyz");
        app.key(key(KeyCode::Esc));
        assert_eq!(app.list.filter().text, "curl");
        keys(&mut app, "/");
        for _ in 0..4 {
            app.key(key(KeyCode::Backspace));
        }
        app.key(key(KeyCode::Enter));
        assert_eq!(app.list.view_len(), 4);
        keys(&mut app, "/nothing");
        app.key(key(KeyCode::Enter));
        let (lines, _) = screen(&mut app, 200, 20);
        assert!(line_with(&lines, "No request matches").contains("x clears"));
        keys(&mut app, "x");
        assert_eq!(app.list.view_len(), 4);
    }

    #[test]
    fn quick_status_keys_and_sorting() {
        let mut app = app();
        let ids = |app: &App| -> Vec<u64> {
            (0..app.list.view_len())
                .filter_map(|p| app.list.at(p))
                .map(|r| r.id)
                .collect()
        };
        keys(&mut app, "4");
        assert_eq!(ids(&app), [3]);
        keys(&mut app, "5");
        assert_eq!(ids(&app), [2]);
        keys(&mut app, "e");
        assert_eq!(ids(&app), [4, 2, 3]);
        let (lines, _) = screen(&mut app, 200, 20);
        assert!(lines[19].contains("filter -[errors]") || lines[19].contains("filter - [errors]"));
        keys(&mut app, "e");
        assert_eq!(ids(&app), [1, 4, 2, 3]);
        keys(&mut app, "s");
        assert_eq!(ids(&app), [1, 2, 3, 4], "slowest first");
        let (lines, _) = screen(&mut app, 200, 20);
        assert!(line_with(&lines, "Status").contains("Time▼"));
        keys(&mut app, "r");
        assert_eq!(ids(&app), [4, 3, 2, 1]);
        keys(&mut app, "ss");
        assert_eq!(ids(&app), [2, 3, 1, 4], "by status, highest first");
        keys(&mut app, "s");
        assert_eq!(ids(&app), [1, 4, 2, 3]);
    }

    #[test]
    fn follow_keeps_the_newest_selected_until_the_user_moves() {
        let mut app = app();
        keys(&mut app, "f");
        assert_eq!(app.position(), Some(3));
        app.apply(Update::Transaction(Box::new(tx(
            5,
            40,
            "http://www.test/new",
            Some(200),
            1,
        ))));
        app.sync();
        assert_eq!(
            app.selected.and_then(|i| app.list.row(i)).map(|r| r.id),
            Some(5)
        );
        keys(&mut app, "k");
        assert!(!app.follow);
        app.apply(Update::Transaction(Box::new(tx(
            6,
            50,
            "http://www.test/newer",
            Some(200),
            1,
        ))));
        app.sync();
        assert_eq!(
            app.selected.and_then(|i| app.list.row(i)).map(|r| r.id),
            Some(3)
        );
        // The selection stays visible on a short screen.
        keys(&mut app, "G");
        let (lines, _) = screen(&mut app, 200, 8);
        assert!(lines.iter().any(|l| l.contains("/newer")));
    }

    #[test]
    fn the_report_brings_findings_and_warnings() {
        let mut app = app();
        app.apply(Update::Finish(Box::new(report())));
        app.feed_ended();
        let (lines, _) = screen(&mut app, 200, 30);
        assert!(lines[0].contains("done") && lines[0].contains("capture span 60.0 ms"));
        assert!(
            lines[1].contains("findings 0 errors 1 warnings 0 info"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("warnings 1"));
        // The report's stats replace the live ones.
        assert!(lines[2].contains("tcp gaps 0 (0 B)") && lines[2].contains("events lost 7"));
        keys(&mut app, "F");
        let (lines, _) = screen(&mut app, 200, 30);
        let text = lines.join("\n");
        assert!(text.contains("warning client-error GET http://api.test/v1/items?token=[redacted] answered 404 #3"), "{text}");
        assert!(text.contains("1 TLS connection(s) could not be decrypted"));
        keys(&mut app, "F");
        keys(&mut app, "G");
        app.key(key(KeyCode::Enter));
        let (lines, _) = screen(&mut app, 200, 60);
        let text = lines.join("\n");
        assert!(text.contains("fix: Fix the link."), "{text}");
    }

    #[test]
    fn an_ended_or_failed_feed_says_so() {
        let mut app = App::new(TuiOptions::default());
        let (lines, _) = screen(&mut app, 100, 10);
        assert!(line_with(&lines, "Waiting").contains("Waiting for requests"));
        app.feed_ended();
        let (lines, _) = screen(&mut app, 100, 10);
        assert!(lines[0].contains("feed ended without a report"));
        assert!(line_with(&lines, "No requests.").starts_with("No requests."));
        app.apply(Update::Failed("cannot read x\x1b[2J".into()));
        let (lines, _) = screen(&mut app, 100, 10);
        assert!(
            lines[0].contains("failed: cannot read x?[2J"),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn narrow_screens_drop_process_and_size() {
        let mut app = app();
        let (lines, _) = screen(&mut app, 80, 12);
        let head = line_with(&lines, "Status");
        assert!(!head.contains("Process") && !head.contains("Size"));
        assert!(head.contains("Transf.") && head.contains("Waterfall"));
        for w in [0u16, 10, 40, 80, 119, 120, 200, 400] {
            let cols = columns(w);
            let used: u32 = cols.iter().map(|c| u32::from(c.1) + 1).sum::<u32>() - 1;
            assert!(used <= u32::from(w.max(67)), "{w}: {used}");
        }
        // Tiny screens draw without panicking.
        for (w, h) in [(1, 1), (10, 3), (20, 5)] {
            let mut app = app_with_pane();
            screen(&mut app, w, h);
        }
    }

    fn app_with_pane() -> App {
        let mut app = app();
        app.key(key(KeyCode::Enter));
        keys(&mut app, "?");
        app
    }

    #[test]
    fn help_lists_the_keys_and_any_key_closes_it() {
        let mut app = app();
        keys(&mut app, "?");
        let (lines, _) = screen(&mut app, 120, 30);
        let text = lines.join("\n");
        assert!(text.contains("Keys (any key closes)") && text.contains("follow: keep the newest"));
        keys(&mut app, "j");
        assert_eq!(app.mode, Mode::List);
        assert_eq!(app.position(), Some(0), "the closing key does nothing else");
    }

    #[test]
    fn capture_text_cannot_reach_the_terminal() {
        let mut app = App::new(TuiOptions::default());
        let mut t = tx(1, 0, "http://evil.test/\x1b]0;pwned\x07", Some(200), 1);
        if let Some(r) = t.request.as_mut() {
            r.headers
                .push(model::Header::new("X-Evil", "\x1b[2J\u{9b}31m"));
        }
        app.apply(Update::Transaction(Box::new(t)));
        app.sync();
        app.key(key(KeyCode::Enter));
        let (lines, _) = screen(&mut app, 200, 100);
        let text = lines.join("\n");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("/?]0;pwned?") && text.contains("X-Evil: ?[2J?31m"));
    }
}
