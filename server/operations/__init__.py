"""One verb per use case, the only thing the edges (api/, pages/, cli/) call.

A verb checks permission and four eyes, validates, changes state (flush only), writes its audit entry
and returns a masked, typed view; the edge parses input and shapes the answer, nothing more.
"""
