"""The doctor: pure checks over gathered facts (checks), log diagnosis (logdiag), rendering (render)."""
