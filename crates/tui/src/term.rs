//! The terminal: raw mode and the alternate screen while the view runs, restored on every way
//! out (return, error, panic), and the event loop.
//!
//! This module owns [`run`]. The loop drains the channel (at most [`DRAIN_BUDGET`] per round,
//! so keys stay responsive under a flood of updates), redraws when something changed (and
//! once a second for the clock), and waits for keys up to [`TICK`].

use crate::app::{Action, App};
use crate::{TuiOptions, Update};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Once;
use std::time::{Duration, Instant};

/// The longest the loop waits for a key before looking at the channel again.
const TICK: Duration = Duration::from_millis(100);

/// The longest one round spends taking updates before it draws and reads keys.
const DRAIN_BUDGET: Duration = Duration::from_millis(50);

/// Whether the terminal is in the view's mode (raw, alternate screen) right now.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Set by the panic hook: some thread panicked while the view was up.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back as it was, once; errors are ignored (nothing better can be done
/// while leaving).
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    }
}

/// Restores the terminal when dropped: on return and on error.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Installs (once per process) a panic hook that restores the terminal before the panic
/// message is printed, so that the message is readable and the shell usable.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) {
                PANICKED.store(true, Ordering::SeqCst);
                restore();
            }
            previous(info);
        }));
    });
}

/// Runs the view on this thread until the user quits: draws the updates from `rx` as they
/// come and, once the feed has ended (a [`Update::Finish`] or [`Update::Failed`], or every
/// sender dropped), keeps showing the final state. The terminal is restored on return, on
/// error and on panic. Returns an error when the terminal cannot be used, or when a thread
/// panicked while the view was up (the view closes so that the panic message can be read).
pub fn run(rx: Receiver<Update>, options: TuiOptions) -> io::Result<()> {
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let result = event_loop(&mut terminal, &rx, options);
    drop(guard);
    result
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    rx: &Receiver<Update>,
    options: TuiOptions,
) -> io::Result<()> {
    let opened = Instant::now();
    let mut app = App::new(options);
    let mut connected = true;
    let mut dirty = true;
    let mut drawn_second = u64::MAX;
    loop {
        if PANICKED.load(Ordering::SeqCst) {
            return Err(io::Error::other(
                "a thread panicked; the terminal view was closed",
            ));
        }
        let round = Instant::now();
        while connected && round.elapsed() < DRAIN_BUDGET {
            match rx.try_recv() {
                Ok(update) => {
                    app.apply(update);
                    dirty = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    app.feed_ended();
                    connected = false;
                    dirty = true;
                }
            }
        }
        dirty |= app.sync();
        let second = opened.elapsed().as_secs();
        if dirty || second != drawn_second {
            terminal.draw(|frame| app.draw(frame, opened.elapsed()))?;
            dirty = false;
            drawn_second = second;
        }
        if event::poll(TICK)? {
            match event::read()? {
                Event::Key(key) => {
                    if app.key(key) == Action::Quit {
                        return Ok(());
                    }
                    dirty = true;
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
    }
}
