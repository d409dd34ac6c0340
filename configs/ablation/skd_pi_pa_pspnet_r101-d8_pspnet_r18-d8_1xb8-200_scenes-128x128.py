# "Full, beta = 2x2" of the ablation table `graphs`: +PI+PA of the table
# `skd` on the table's 200-iteration schedule (as schedules/demo_200.py).
_base_ = ['./skd_pi_pa_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py']
train_cfg = dict(max_iters=200, val_interval=200)
