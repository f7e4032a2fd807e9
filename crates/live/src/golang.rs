//! Go binaries: where `crypto/tls.(*Conn).Write` and `Read` are, where they return, and
//! which calling convention they use — what the Go TLS probes need.
//!
//! Go programs are usually static and often stripped. The functions are found in the ELF
//! symbol table (`.symtab`; a binary built with `-ldflags=-s` has none, and is reported as
//! such); their return instructions are found by decoding the function's x86-64 code (a
//! byte-wise search for `0xc3` would also hit immediates and displacements); the Go version
//! in `.go.buildinfo` gives the ABI: registers from Go 1.17 on amd64, the stack before.
//! Return probes are not used: the kernel's uretprobes rewrite the return address on the
//! stack, which Go's moving stacks do not survive.

use iced_x86::{Decoder, DecoderOptions, Mnemonic};
use object::{Object, ObjectSection, ObjectSymbol};
use thiserror::Error;

/// The probed functions.
pub const WRITE: &str = "crypto/tls.(*Conn).Write";
/// The probed functions.
pub const READ: &str = "crypto/tls.(*Conn).Read";

/// A Go binary's TLS functions, ready to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoTls {
    /// `go1.19.8`.
    pub version: String,
    /// Arguments and results in registers (Go 1.17+), else on the stack.
    pub register_abi: bool,
    /// Offsets of the return instructions from the start of [`WRITE`].
    pub write_returns: Vec<u64>,
    /// Offsets of the return instructions from the start of [`READ`].
    pub read_returns: Vec<u64>,
}

/// Why a binary's Go TLS cannot be probed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum GoError {
    /// Not a Go program (no `.go.buildinfo`): nothing to say.
    #[error("not a Go program")]
    NotGo,
    /// A Go program without a symbol table.
    #[error("{version} binary without a symbol table (built with -ldflags=-s or stripped): crypto/tls cannot be located; rebuild without -s to record its HTTPS")]
    Stripped {
        /// The Go version.
        version: String,
    },
    /// A Go program that does not use crypto/tls.
    #[error("{version} binary without crypto/tls")]
    NoTls {
        /// The Go version.
        version: String,
    },
    /// Not amd64: the probes read amd64 registers.
    #[error("{0} Go binary: only amd64 is supported")]
    Architecture(String),
    /// The file could not be read or parsed.
    #[error("{0}")]
    Unreadable(String),
}

/// Reads and inspects the binary at `path`.
pub fn inspect(path: &std::path::Path) -> Result<GoTls, GoError> {
    let data = std::fs::read(path).map_err(|e| GoError::Unreadable(format!("{e}")))?;
    parse(&data)
}

/// Inspects an ELF image.
pub fn parse(data: &[u8]) -> Result<GoTls, GoError> {
    let file = object::File::parse(data).map_err(|e| GoError::Unreadable(format!("{e}")))?;
    let buildinfo = file
        .section_by_name(".go.buildinfo")
        .ok_or(GoError::NotGo)?
        .data()
        .map_err(|e| GoError::Unreadable(format!("{e}")))?;
    let (version, major, minor) = go_version(buildinfo).ok_or(GoError::NotGo)?;
    if file.architecture() != object::Architecture::X86_64 {
        return Err(GoError::Architecture(format!("{:?}", file.architecture())));
    }
    if file.symbols().next().is_none() {
        return Err(GoError::Stripped { version });
    }
    let mut write_returns = None;
    let mut read_returns = None;
    for symbol in file.symbols() {
        let name = symbol.name().unwrap_or("");
        let slot = match name {
            WRITE => &mut write_returns,
            READ => &mut read_returns,
            _ => continue,
        };
        let code = function_code(&file, symbol.address(), symbol.size())
            .ok_or_else(|| GoError::Unreadable(format!("the code of {name} is not in the file")))?;
        *slot = Some(returns(code, symbol.address()));
    }
    match (write_returns, read_returns) {
        (Some(write_returns), Some(read_returns)) => Ok(GoTls {
            version,
            register_abi: (major, minor) >= (1, 17),
            write_returns,
            read_returns,
        }),
        _ => Err(GoError::NoTls { version }),
    }
}

/// The bytes of the function at `address` of `size` bytes.
fn function_code<'a>(file: &object::File<'a>, address: u64, size: u64) -> Option<&'a [u8]> {
    file.sections().find_map(|section| {
        let start = section.address();
        let end = start.checked_add(section.size())?;
        if address < start || address.checked_add(size)? > end {
            return None;
        }
        let data = section.data().ok()?;
        let from = usize::try_from(address - start).ok()?;
        data.get(from..from.checked_add(usize::try_from(size).ok()?)?)
    })
}

/// Offsets (from the start of `code`, loaded at `ip`) of its return instructions.
pub fn returns(code: &[u8], ip: u64) -> Vec<u64> {
    let mut decoder = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut offsets = Vec::new();
    while decoder.can_decode() {
        let insn = decoder.decode();
        if insn.mnemonic() == Mnemonic::Ret {
            offsets.push(insn.ip() - ip);
        }
    }
    offsets
}

/// The Go version recorded in `.go.buildinfo`: (`go1.19.8`, 1, 19).
pub fn go_version(buildinfo: &[u8]) -> Option<(String, u32, u32)> {
    let at = buildinfo.windows(4).position(|w| w == b"go1.")?;
    let text: String = buildinfo[at..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.')
        .map(|&b| char::from(b))
        .collect();
    let text = text.trim_end_matches('.').to_owned();
    let mut parts = text.strip_prefix("go")?.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let minor = minor.parse().ok()?;
    Some((text, major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `mov eax, 0xc3; test eax, eax; jne +1; ret; xor eax, eax; ret`: two returns, and
    /// an immediate 0xc3 that is not one.
    static CODE: [u8; 13] = [
        0xb8, 0xc3, 0x00, 0x00, 0x00, // mov eax, 0xc3
        0x85, 0xc0, // test eax, eax
        0x75, 0x01, // jne +1
        0xc3, // ret
        0x31, 0xc0, // xor eax, eax
        0xc3, // ret
    ];

    #[test]
    fn return_instructions_are_decoded_not_searched() {
        assert_eq!(returns(&CODE, 0x40_1000), vec![9, 12]);
        assert!(returns(&[], 0).is_empty());
        // Truncated code decodes as far as it can, without panicking.
        assert!(returns(&CODE[..3], 0).is_empty());
    }

    #[test]
    fn versions() {
        let mut info = b"\xff Go buildinf:\x08\x02".to_vec();
        info.push(8);
        info.extend_from_slice(b"go1.19.8");
        info.extend_from_slice(b"\x00path\tcmd");
        assert_eq!(go_version(&info), Some(("go1.19.8".into(), 1, 19)));
        assert_eq!(
            go_version(b"..go1.16rc1.."),
            Some(("go1.16rc1".into(), 1, 16))
        );
        assert_eq!(go_version(b"no version"), None);
    }

    #[test]
    fn not_elf_or_not_go() {
        assert!(matches!(parse(b"not an elf"), Err(GoError::Unreadable(_))));
        let me = std::fs::read("/proc/self/exe").unwrap();
        assert_eq!(parse(&me), Err(GoError::NotGo));
    }
}
