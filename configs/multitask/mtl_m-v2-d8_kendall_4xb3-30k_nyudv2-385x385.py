# Thesis Fig. 6.4 "Kendall": Joint with the task losses weighted by learnt
# homoscedastic uncertainty (Kendall et al., CVPR 2018; the log-variances
# start at 0 and train with the network).
_base_ = ['./mtl_m-v2-d8_joint_4xb3-30k_nyudv2-385x385.py']
model = dict(task_weights=dict(type='UncertaintyTaskWeights', _scope_='mmskd'))
