"""viz: draw autodiff graphs (the forward pass and the δ flow of the backward pass) with graphviz."""
