"""Trading engine: the only emitter of order events, with stateless traders."""
