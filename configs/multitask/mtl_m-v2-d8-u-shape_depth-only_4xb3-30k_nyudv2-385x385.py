# Thesis Table 6.3 "Depth-only" on the U-shape network (14.91 % relative
# error): its depth decoder and head alone.
_base_ = ['./mtl_m-v2-d8-u-shape_joint_4xb3-30k_nyudv2-385x385.py']
model = dict(
    decode_heads=dict(_delete_=True, depth=_base_.model.decode_heads.depth))
val_evaluator = [_base_.depth_metric]
test_evaluator = val_evaluator
