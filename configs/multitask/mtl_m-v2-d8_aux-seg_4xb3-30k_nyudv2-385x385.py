# Thesis Fig. 6.4 "AT1": a basic auxiliary module for segmentation only, in
# Prior's setting (App. A.2.2: from the segmentation-only network, lr 0.001;
# train that config first).
_base_ = ['./mtl_m-v2-d8_prior-seg_4xb3-30k_nyudv2-385x385.py']
model = dict(auxiliary_heads=dict(seg=_base_.auxiliary_module))
