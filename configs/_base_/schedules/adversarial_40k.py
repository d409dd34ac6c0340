# adversarial_80k.py for 40k iterations (schedule_40k.py's length, validation
# and checkpoint interval); both PolyLRs follow train_cfg.max_iters.
_base_ = ['./adversarial_80k.py']
train_cfg = dict(max_iters=40000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
