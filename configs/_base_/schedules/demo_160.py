# The demo's schedule cut to 160 iterations: the ablation table `video` took
# 30.4 minutes on 200 (demo_200.py) on the idle 2-core machine, its teacher
# 9.2 of them; its runs at 160 leave the five seeds and the teacher within
# 30 minutes with room to spare (chosen from those times before any of its
# seeds ran again).
_base_ = ['./demo_300.py']
train_cfg = dict(max_iters=160, val_interval=160)
