//! mistake: ex5.worker-quits
//! step: 2
//! Each worker serves one client and ends: no loop.

fn work(clients: &Mutex<Receiver<Client>>) {
    let next = clients
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .recv();
    if let Ok((connection, client_address)) = next {
        handle_connection(connection, client_address);
    }
}
