//! IPv4 CIDR blocks, as the jravan network's keys are written.

use std::net::Ipv4Addr;

/// A parsed IPv4 CIDR block.
#[derive(Debug, Clone, Copy)]
pub struct Cidr {
    pub addr: u32,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = s.split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        if prefix > 32 {
            return None;
        }
        let addr = u32::from(addr);
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        // Host bits set (10.0.0.1/16) is a typo AWS refuses.
        (addr & !mask == 0).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        other.prefix >= self.prefix && other.addr & mask == self.addr
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}
