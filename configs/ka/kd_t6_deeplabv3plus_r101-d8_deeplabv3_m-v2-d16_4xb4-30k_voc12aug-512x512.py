# KD at the temperature 6 of the paper's Table 3; all else as at T = 2.
_base_ = ['./kd_t2_deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_4xb4-30k_'
          'voc12aug-512x512.py']
model = dict(distiller=dict(distill_losses=dict(loss_kd=dict(tau=6.0))))
