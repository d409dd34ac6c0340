# Thesis Fig. 6.4 / Table 6.3 "Depth-only" (baseline net: 18.7 % relative
# error): the multi-task network with the depth head alone.
_base_ = [
    '../_base_/models/mtl_m-v2-d8.py',
    '../_base_/datasets/nyudv2-mt-385x385.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/mtl_30k.py',
]
model = dict(decode_heads=dict(_delete_=True, depth=_base_.depth_head))
val_evaluator = [_base_.depth_metric]
test_evaluator = val_evaluator
