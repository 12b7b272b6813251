//! mistake: ex5.one-at-a-time
//! step: 3
//! The Rust Book's trap: the lock taken in `while let` is held while serving.

fn work(clients: &Mutex<Receiver<Client>>) {
    while let Ok((connection, client_address)) = clients
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .recv()
    {
        handle_connection(connection, client_address);
    }
}
