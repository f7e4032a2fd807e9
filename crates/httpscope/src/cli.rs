//! Command-line definitions. Every option states its default and has an example.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// See what an application does over HTTP: every request with its timings, sizes and
/// headers, from a packet capture.
#[derive(Parser, Debug)]
#[command(name = "httpscope", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse a pcap or pcapng capture (from tcpdump, Wireshark, dumpcap...).
    #[command(after_help = ANALYZE_EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Record the HTTP traffic of a command, of running processes or of the whole machine,
    /// live, with eBPF (needs root). Everything `analyze` shows, plus the process that made
    /// each request.
    #[command(after_help = RECORD_EXAMPLES)]
    Record(RecordArgs),
    /// List the findings rules: ids, severities, thresholds and what each detects.
    Rules(RulesArgs),
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Print the catalog as Markdown (the docs page is this output).
    #[arg(long)]
    pub markdown: bool,

    #[command(flatten)]
    pub findings: FindingsArgs,
}

/// How findings are computed: thresholds, rules turned off, and what fails the run.
#[derive(Args, Debug, Clone)]
pub struct FindingsArgs {
    /// Read thresholds and disabled rules from a TOML file (see `httpscope rules` for every
    /// threshold and its default).
    /// Example: --config httpscope.toml
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Set one threshold, overriding the config file.
    /// Example: --set slow_ttfb_warning_ms=300
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Turn a rule off by its id (repeatable).
    /// Example: --disable no-accept-encoding
    #[arg(long, value_name = "RULE")]
    pub disable: Vec<String>,

    /// Apply the HTTPS rules (insecure-http, http-to-https-redirect, hsts-missing) to
    /// loopback and localhost traffic too. Off by default: local development servers are
    /// exempt.
    #[arg(long)]
    pub https_on_loopback: bool,
}

const ANALYZE_EXAMPLES: &str = "\
Examples:
  httpscope analyze capture.pcapng
      One line per request, then a summary (hosts, connection reuse, slowest requests).
  httpscope analyze capture.pcap --har requests.har
      Also write a HAR file; open it in Firefox or Chrome devtools (Network > Import).
  httpscope analyze capture.pcap --html report.html
      A report to open in a browser: waterfall, filters, details, findings.
  httpscope analyze https.pcap --keylog sslkeys.log --write-pcapng with-keys.pcapng
      Decrypt HTTPS with the client's key log, and write a capture Wireshark decrypts alone.
  tcpdump -i lo -w - 'tcp port 8080' | httpscope analyze -
      Analyse a capture streamed on stdin.
  httpscope analyze capture.pcap.gz --jsonl - | jq -r 'select(.type==\"transaction\") | .url'
      One JSON object per request on stdout, for scripts.

Exit status: 0 on success (a truncated last packet is skipped with a warning); 1 when the
capture is corrupt part-way (everything before the damage is still reported); 2 when
nothing could be read or the command line is wrong; 3 when --fail-on found findings of
that severity or worse.";

const RECORD_EXAMPLES: &str = "\
Examples:
  sudo httpscope record -- curl -s https://example.test/
      Run curl (as the user who ran sudo) and show its requests, decrypted: httpscope sets
      SSLKEYLOGFILE (and NODE_OPTIONS=--tls-keylog) for the command to a private file.
  sudo httpscope record -p $(pgrep -d, nginx) --port 8080 --har nginx.har
      Attach to running processes (and their future children), keep port 8080, write HAR.
  sudo httpscope record --all --write-pcapng all.pcapng
      Watch every process; the pcapng names the process of each packet in its comment.

Ctrl-C stops a recording (with -- CMD, the command gets it too and the recording ends when
it exits). Exit status: the command's own exit status with -- CMD; otherwise 0, 2 when the
recording could not start (not root, no BTF, no cgroup v2), 3 when --fail-on found findings.";

/// What `record` captures and how.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["pid", "all", "command"])))]
pub struct RecordArgs {
    /// Attach to these running processes (comma-separated or repeated) and the processes
    /// they start from now on; the recording ends when they have all exited, or on Ctrl-C.
    /// Example: -p 1234,1240
    #[arg(short = 'p', long = "pid", value_delimiter = ',', value_name = "PID")]
    pub pid: Vec<u32>,

    /// Watch every process on the machine, until Ctrl-C.
    #[arg(long)]
    pub all: bool,

    /// Keep only connections with this local or remote port (repeatable, at most 8; DNS on
    /// port 53 is always kept so that lookups stay visible). Default: every port.
    /// Example: --port 443 --port 8080
    #[arg(long = "port", value_name = "PORT")]
    pub port: Vec<u16>,

    /// Keep only packets to or from this IP address (repeatable). Default: every address.
    /// Example: --host 127.0.0.1
    #[arg(long = "host", value_name = "ADDR")]
    pub host: Vec<std::net::IpAddr>,

    /// Bytes copied per packet; longer packets are cut (and counted). 0, the default,
    /// copies whole packets up to 65536 bytes.
    #[arg(long, default_value_t = 0, value_name = "BYTES")]
    pub snaplen: u32,

    /// Size of the kernel ring buffer the packets travel through, in bytes (a power of two).
    /// Default 16 MiB; raise it when the summary reports packets lost to a full buffer.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub ring_buffer: u32,

    /// Do not set SSLKEYLOGFILE and NODE_OPTIONS for the command (HTTPS then stays
    /// encrypted unless --keylog gives the keys).
    #[arg(long)]
    pub no_keylog: bool,

    /// Read HTTPS plaintext from the TLS libraries of the traced processes (uprobes on
    /// OpenSSL/BoringSSL SSL_read/SSL_write and GnuTLS gnutls_record_recv/send): HTTPS
    /// without keys, for processes that are already running or ignore SSLKEYLOGFILE.
    /// `auto` (the default) probes with -p and --all, and uses the key log for a command;
    /// `on` probes a command too (and then does not set SSLKEYLOGFILE, so that nothing is
    /// read twice). The report lists which libraries were probed for which processes.
    #[arg(long, value_enum, default_value_t = TlsProbes::Auto, value_name = "WHEN")]
    pub tls_probes: TlsProbes,

    /// Also read TLS secrets from FILE (NSS key log format), read again as it grows.
    #[arg(long, value_name = "FILE")]
    pub keylog: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Out-of-order bytes buffered per connection and direction while waiting for a
    /// missing segment. Default 4 MiB.
    #[arg(long, value_name = "BYTES")]
    pub reassembly_buffer: Option<usize>,

    /// The command to run and record, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// The capture to read: pcap (µs or ns, either byte order) or pcapng, optionally
    /// gzip-compressed (detected by content). `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Decrypt TLS with the secrets in FILE (NSS key log format, as written by browsers,
    /// curl, Python and OpenSSL when SSLKEYLOGFILE is set). Repeatable; merged with the
    /// secrets a pcapng carries in Decryption Secrets Blocks. A file still being written is
    /// read again as new sessions appear.
    /// Example: --keylog sslkeys.log
    #[arg(long, value_name = "FILE")]
    pub keylog: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Do not show the progress bar. By default it is shown on standard error when that is
    /// a terminal, the input is over 64 MB, and the report is not printed to the same
    /// terminal.
    #[arg(long)]
    pub no_progress: bool,

    /// Out-of-order bytes buffered per connection and direction while waiting for a
    /// missing segment; past this the hole is reported as a gap. Default 4 MiB.
    #[arg(long, value_name = "BYTES")]
    pub reassembly_buffer: Option<usize>,
}

/// Where and how results are written; shared by `analyze` and `record`.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Write the requests as HAR 1.2 to OUT (created with mode 0600: captures hold
    /// cookies and tokens).
    /// Example: --har out.har
    #[arg(long, value_name = "OUT")]
    pub har: Option<PathBuf>,

    /// Write a self-contained HTML report to OUT (opens from disk, fetches nothing): the
    /// request list with a waterfall of phases, filters, a detail pane, the summary and the
    /// findings. Created with mode 0600.
    /// Example: --html report.html
    #[arg(long, value_name = "OUT")]
    pub html: Option<PathBuf>,

    /// Write one JSON object per request to OUT, then a final object with the summary and
    /// loss counters; `-` writes to standard output (replacing the terminal report).
    /// Example: --jsonl requests.jsonl
    #[arg(long, value_name = "OUT|-")]
    pub jsonl: Option<PathBuf>,

    /// Print everything as one JSON document on standard output instead of the terminal
    /// report.
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,

    /// Exit with status 3 when findings of this severity or worse exist, so that a test
    /// suite can gate on its HTTP behaviour.
    /// Example: --fail-on warning
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    #[command(flatten)]
    pub findings: FindingsArgs,

    /// Do not print the terminal report (other outputs are still written).
    #[arg(short, long)]
    pub quiet: bool,

    /// Show the requests in a full-screen terminal view instead of the terminal report: the
    /// request list with a waterfall, details, filters, sorting and the loss counters. Keys:
    /// arrows or j/k move, Enter opens the details, / filters, 4/5/e show 4xx/5xx/errors,
    /// s sorts, f follows the newest, F lists the findings, ? helps, q quits (quitting before
    /// the end stops the analysis or the recording). Needs a terminal; other outputs (--har, --html, --jsonl
    /// to a file) are still written.
    /// Example: --tui
    #[arg(long)]
    pub tui: bool,

    /// Write the packets to OUT as pcapng with the TLS secrets of the sessions in it
    /// (Decryption Secrets Blocks), so that Wireshark and tshark decrypt it with no
    /// settings. Created with mode 0600.
    /// Example: --write-pcapng decrypted.pcapng
    #[arg(long, value_name = "OUT")]
    pub write_pcapng: Option<PathBuf>,

    /// Show credentials (Authorization, Cookie, tokens in URLs...) instead of redacting
    /// them in every output. Off by default.
    #[arg(long)]
    pub show_secrets: bool,

    /// When to colour the terminal report. `auto` (the default) colours only on a terminal
    /// and never when NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// When `record` reads plaintext from TLS libraries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TlsProbes {
    Auto,
    On,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
