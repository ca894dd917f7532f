"""MoE serving: MoEfication, an NPUMoE-style tiered heterogeneous runtime, self-speculative decoding.

Modules: ``layer`` (the MoE FFN), ``tiny`` (a tiny trained MoE), ``moefy`` (dense FFN -> experts),
``specdec`` (self-speculative decoding), ``calibrate``/``tiers``/``runtime``/``devices``/``planner``
(NPUMoE), ``elastic`` (ELMoE-3D memory-stack cost model, expert cache). torch is imported by the
modules that need it, not here.
"""
