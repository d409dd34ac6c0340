# Every mmskd algorithm owns its train_step (a guarded update of the student
# and of each part trained beside it: connectors, a discriminator, a
# translator). MMSeparateDistributedDataParallel wraps each trainable part
# on its own and lets that train_step drive them; mmengine's default
# MMDistributedDataParallel would run its own step instead. The method bases
# inherit this file once each (mmengine refuses a key twice among bases).
# A student with parameters its loss does not reach (e.g. with
# calculate_student_loss=False) needs `find_unused_parameters = True`, which
# tools/train.py passes on to this wrapper.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False)
