build-ir/image/src/arch/x86/svm_run.o: src/arch/x86/svm_run.S
