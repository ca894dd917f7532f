"""Things that run: MoE runtimes, schedulers, federated learning, radios, duty-cycled edge nodes."""
