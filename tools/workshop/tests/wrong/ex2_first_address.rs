//! mistake: ex2.first-address-only
//! step: 1
//! only-if: localhost-has-two-addresses
//! Connects to the first address of the name only.

fn connect(server_address: &HostPort) -> Result<TcpStream> {
    let first = server_address.resolve()?[0];
    TcpStream::connect_timeout(&first, IO_TIMEOUT)
        .map_err(|e| errors::connect(server_address, first, &e, IO_TIMEOUT))
}
