//! mistake: ex5.too-many
//! step: 4
//! Each worker hands every client to a new thread of its own: no limit after all.

fn work(clients: &Mutex<Receiver<Client>>) {
    loop {
        let next = clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok((connection, client_address)) = next else {
            return;
        };
        thread::spawn(move || handle_connection(connection, client_address));
    }
}
