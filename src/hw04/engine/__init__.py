"""The exact lockstep SGD engine (:mod:`.lockstep`) and its compiled steps
(:mod:`.kernels`)."""
