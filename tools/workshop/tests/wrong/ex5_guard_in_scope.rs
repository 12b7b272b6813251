//! mistake: ex5.one-at-a-time
//! step: 3
//! The guard is a named variable: it lives to the end of the loop body, while the client is served.

fn work(clients: &Mutex<Receiver<Client>>) {
    loop {
        let receiver = clients.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok((connection, client_address)) = receiver.recv() else {
            return;
        };
        handle_connection(connection, client_address);
    }
}
