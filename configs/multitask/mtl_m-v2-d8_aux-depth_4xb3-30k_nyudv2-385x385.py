# Thesis Fig. 6.4 "AT2": a basic auxiliary module for depth only, in Prior's
# setting (from the depth-only network, lr 0.001; train that config first).
_base_ = ['./mtl_m-v2-d8_prior-depth_4xb3-30k_nyudv2-385x385.py']
model = dict(auxiliary_heads=dict(depth=_base_.auxiliary_module))
