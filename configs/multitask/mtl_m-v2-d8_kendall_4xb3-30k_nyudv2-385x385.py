# Thesis Fig. 6.4 "Kendall": Joint with the task losses weighted by learnt
# homoscedastic uncertainty (Kendall et al., CVPR 2018; the log-variances
# start at 0, train with the network and take no weight decay).
_base_ = ['./mtl_m-v2-d8_joint_4xb3-30k_nyudv2-385x385.py']
model = dict(task_weights=dict(type='UncertaintyTaskWeights', _scope_='mmskd'))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'task_weights': dict(decay_mult=0.0)}))
