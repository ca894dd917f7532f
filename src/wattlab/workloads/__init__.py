"""What is computed: GEMMs, LLM passes, LSTMs, ZKP kernels, job traces, radio frames."""
